/** Command dispatch: a table from opcode to handler, one handler per command, and the per-request exchange. */
package io.logwire.server.command;
