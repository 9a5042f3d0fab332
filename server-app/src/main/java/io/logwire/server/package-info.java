/** The logwire server: configuration, start-up, the Netty pipeline and shutdown. */
package io.logwire.server;
