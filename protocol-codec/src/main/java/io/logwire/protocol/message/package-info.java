/** Requests, replies, opcodes and error codes (PROTOCOL.md section 4) as immutable types. */
package io.logwire.protocol.message;
