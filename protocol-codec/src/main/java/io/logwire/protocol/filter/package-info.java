/** The filter language (PROTOCOL.md section 5): parser, AST, canonical printing and compiled predicates. */
package io.logwire.protocol.filter;
