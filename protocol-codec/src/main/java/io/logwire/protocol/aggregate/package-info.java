/** The aggregate-query language of protocol version 2 (PROTOCOL.md 6.5): parser, AST, printer, evaluator and result. */
package io.logwire.protocol.aggregate;
