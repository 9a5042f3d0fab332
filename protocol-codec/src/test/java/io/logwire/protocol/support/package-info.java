/** Shared test fixtures: the protocol vectors, hex, a leak-tracking allocator and pipeline recorders. */
package io.logwire.protocol.support;
