/** Configuration layering for the server's command line: flags, environment, TOML file, defaults; and log set-up. */
package io.logwire.server.config;
