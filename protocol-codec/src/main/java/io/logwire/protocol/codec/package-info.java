/** Netty codecs between frames and messages: server side (requests in, replies out) and the client's mirror. */
package io.logwire.protocol.codec;
