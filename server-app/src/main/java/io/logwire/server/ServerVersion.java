package io.logwire.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The server's version, from the build. */
public final class ServerVersion {
    /** The version, e.g. {@code 1.0.0-SNAPSHOT}. */
    public static final String VERSION = load();
    /** Name and version as announced in HELLO_OK. */
    public static final String NAME_AND_VERSION = "logwire/" + VERSION;

    private ServerVersion() {
    }

    private static String load() {
        try (InputStream in = ServerVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through to the unknown version
        }
        return "unknown";
    }
}
