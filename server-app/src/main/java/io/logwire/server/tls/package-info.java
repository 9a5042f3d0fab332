/** The server's TLS set-up: given or generated certificates, and its SslContext. */
package io.logwire.server.tls;
