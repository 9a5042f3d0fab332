/** TLS material shared by server and client: PEM files and certificates made with Bouncy Castle. */
package io.logwire.tls;
