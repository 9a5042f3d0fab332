/** The log entry (PROTOCOL.md section 3): the record, its binary codec, strict UTF-8 and in-place batch validation. */
package io.logwire.protocol.entry;
