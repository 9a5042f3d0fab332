/** The COMPRESSED envelope of protocol version 2 (PROTOCOL.md 6.7): codecs, the unwrapping decoder and the compressing encoder. */
package io.logwire.protocol.compress;
