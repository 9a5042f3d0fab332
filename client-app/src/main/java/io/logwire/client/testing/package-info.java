/** Tools for testing programs that upload through the client library (not used by the library itself). */
package io.logwire.client.testing;
