package io.logwire.client;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The client's version, from the build ({@code version.properties}, filtered by Maven). */
public final class ClientVersion {
    /** The version, e.g. {@code 1.0.0-SNAPSHOT}, or {@code unknown}. */
    public static final String VERSION = load();

    private ClientVersion() {
    }

    private static String load() {
        try (InputStream in = ClientVersion.class.getResourceAsStream("version.properties")) {
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
