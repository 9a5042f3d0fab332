/**
 * The durable embedded store: an append-only log of CRC-checked segment files with group
 * commit, crash recovery, retention and segment skipping (see {@link io.logwire.server.store.embedded.EmbeddedLogStore}).
 */
package io.logwire.server.store.embedded;
