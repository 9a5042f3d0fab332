/** The tutorial-compatible listeners of PROTOCOL.md Appendix A: small pipelines in front of the same command handlers. */
package io.logwire.server.compat;
