package io.logwire.server.config;

/** Where an option's effective value came from, highest precedence first. */
public enum ConfigLayer {
    /** A command-line flag. */
    FLAG,
    /** An environment variable ({@code LOGWIRE_*}). */
    ENV,
    /** The configuration file ({@code --config}). */
    FILE,
    /** The built-in default. */
    DEFAULT
}
