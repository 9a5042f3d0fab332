/** Abuse limits: connections per address, request and byte rates, concurrent queries, TLS handshake rate. */
package io.logwire.server.limits;
