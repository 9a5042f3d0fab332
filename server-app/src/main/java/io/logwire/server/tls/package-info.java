/** TLS material: self-signed and CA-signed certificates with Bouncy Castle, PEM files, and SslContext building. */
package io.logwire.server.tls;
