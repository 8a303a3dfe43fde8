package io.jpasta.launcher;

import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --runas UID|UID:GID|LOGIN|LOGIN:GROUP}: resolved against /etc/passwd and /etc/group with pasta's messages.
 * jpasta never needs privileges, so the only identity it can run as is the caller's own: asking for another one
 * fails as it does for an unprivileged pasta ("Can't set GID to N: Operation not permitted").
 */
final class RunAs {
    private RunAs() {
    }

    /** Checks {@code spec} and that we already run as it. */
    static void check(String spec) throws ExitRequest {
        String user = spec, group = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            user = spec.substring(0, colon);
            group = spec.substring(colon + 1);
        }
        long uid = id(user, "/etc/passwd", 2);
        long gid = group != null ? id(group, "/etc/group", 2) : primaryGid(user, uid);
        if (uid < 0 || gid < 0) {
            throw new ExitRequest(1, "Invalid --runas option: " + spec + "\n", false);
        }
        if (gid != Sys.getgid()) {
            throw new ExitRequest(1, "Can't set GID to " + gid + ": Operation not permitted\n", false);
        }
        if (uid != Sys.getuid()) {
            throw new ExitRequest(1, "Can't set UID to " + uid + ": Operation not permitted\n", false);
        }
    }

    /** @return the number {@code name} stands for: itself if numeric, else its id in {@code file}, else -1 */
    private static long id(String name, String file, int field) {
        if (!name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9') && name.length() <= 10) {
            return Long.parseLong(name);
        }
        String[] entry = entry(name, file);
        return entry != null && entry.length > field ? parse(entry[field]) : -1;
    }

    private static long primaryGid(String user, long uid) {
        String[] entry = entry(user, "/etc/passwd");
        if (entry != null && entry.length > 3) {
            return parse(entry[3]);
        }
        return uid; // a bare UID without a passwd entry: its group is the same number, as pasta assumes
    }

    private static String[] entry(String name, String file) {
        try {
            for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length > 0 && f[0].equals(name)) {
                    return f;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
