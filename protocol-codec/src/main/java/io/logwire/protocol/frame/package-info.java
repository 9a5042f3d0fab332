/** Frames (PROTOCOL.md section 2): constants, the length-field frame decoder and the length-prepending encoder. */
package io.logwire.protocol.frame;
