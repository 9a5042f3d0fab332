/** The logwire client library: a pipelined, TLS-secured Netty client for PROTOCOL.md sections 1-5. */
package io.logwire.client;
