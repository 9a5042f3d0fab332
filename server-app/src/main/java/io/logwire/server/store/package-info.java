/** The storage interface the server writes to and scans, independent of any backend. */
package io.logwire.server.store;
