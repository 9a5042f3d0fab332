/** Streaming CSV and JSON Lines readers and writers for log entries, and the aligned table for people. */
package io.logwire.client.io;
