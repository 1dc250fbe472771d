package org.panagrad.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The data caches of one core, which the GEMM's blocking is derived from ({@link GemmBlocking}). Read once, from
 * the first of:
 * <ol>
 * <li>{@code -Dpanagrad.cacheSizes=L1D,L2} (for example {@code 48K,1M}): for machines that hide their caches;</li>
 * <li>Linux's {@code /sys/devices/system/cpu/cpu0/cache/index*} ({@code level}, {@code type}, {@code size});</li>
 * <li>{@code /proc/cpuinfo}'s "cache size", which Linux fills with the L2 on AMD processors (the last level on
 * Intel's, of no use here): some virtual machines have no cache directory in sysfs. The L1 data cache is then
 * known from the AMD family: 48 KB from family 26 (Zen 5) on, 32 KB before it (Zen 1 to 4);</li>
 * <li>32 KB and 512 KB, the smallest L1 data cache and L2 of the x86 cores with AVX2 or AVX-512 since Zen 2 and
 * Skylake-SP, so a guess never overfills them.</li>
 * </ol>
 */
record CacheSizes(int l1d, int l2, String source) {
    static final int DEFAULT_L1D = 32 * 1024, DEFAULT_L2 = 512 * 1024;

    static final CacheSizes MACHINE = detect(System.getProperty("panagrad.cacheSizes"),
            Path.of("/sys/devices/system/cpu/cpu0/cache"), Path.of("/proc/cpuinfo"));

    static CacheSizes detect(String property, Path sysfs, Path cpuinfo) {
        if (property != null && !property.isBlank()) return parseProperty(property);
        int l1d = 0, l2 = 0;
        String source = "defaults";
        try (var dirs = Files.newDirectoryStream(sysfs, "index*")) {
            for (Path dir : dirs) {
                int level = Integer.parseInt(read(dir.resolve("level")));
                String type = read(dir.resolve("type"));
                if (type.equals("Instruction")) continue;
                if (level == 1) l1d = parseSize(read(dir.resolve("size")), dir);
                if (level == 2) l2 = parseSize(read(dir.resolve("size")), dir);
            }
            if (l1d > 0 || l2 > 0) source = sysfs.toString();
        } catch (IOException | RuntimeException e) {
            // No cache directory (some virtual machines, other systems): the next source.
        }
        if (l2 == 0) {
            int[] fromCpuinfo = amdCachesFromCpuinfo(cpuinfo);
            if (fromCpuinfo[1] > 0) {
                l2 = fromCpuinfo[1];
                if (l1d > 0) {
                    source = source + " and " + cpuinfo;
                } else {
                    l1d = fromCpuinfo[0];
                    source = cpuinfo + " (L2; L1 data from the AMD family)";
                }
            }
        }
        return new CacheSizes(l1d > 0 ? l1d : DEFAULT_L1D, l2 > 0 ? l2 : DEFAULT_L2, source);
    }

    /** "48K,1M" (L1 data, L2). */
    private static CacheSizes parseProperty(String property) {
        String[] parts = property.split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException("system property panagrad.cacheSizes is \"" + property
                    + "\"; expected the L1 data cache and the L2 of one core, such as 48K,1M");
        }
        return new CacheSizes(parseSize(parts[0], "panagrad.cacheSizes"), parseSize(parts[1], "panagrad.cacheSizes"),
                "panagrad.cacheSizes");
    }

    /**
     * The L1 data cache and the L2 of an AMD (or Hygon) core from /proc/cpuinfo, {0, 0} if not found. The L1 from
     * the family (the file does not give it): Zen 5 (family 26, 0x1a) has 48 KB, Zen 1 to 4 (23, 25) 32 KB, as
     * does Hygon's Dhyana (24).
     */
    private static int[] amdCachesFromCpuinfo(Path cpuinfo) {
        try {
            boolean amd = false;
            int family = 0;
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("vendor_id")) amd = line.contains("AuthenticAMD") || line.contains("HygonGenuine");
                if (line.startsWith("cpu family")) family = Integer.parseInt(value(line));
                if (line.startsWith("cache size") && amd) {
                    int l1d = family >= 26 ? 48 * 1024 : DEFAULT_L1D;
                    return new int[] {l1d, parseSize(value(line).replace(" ", ""), cpuinfo)};
                }
                if (line.isBlank()) break; // the first processor is enough
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or not readable.
        }
        return new int[2];
    }

    private static String value(String line) {
        return line.substring(line.indexOf(':') + 1).trim();
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file).trim();
    }

    /** "48K", "1024 KB", "1M", "49152" (bytes). */
    static int parseSize(String text, Object where) {
        String s = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
        if (s.endsWith("B")) s = s.substring(0, s.length() - 1);
        long scale = 1;
        if (s.endsWith("K")) scale = 1024;
        else if (s.endsWith("M")) scale = 1024 * 1024;
        if (scale > 1) s = s.substring(0, s.length() - 1);
        try {
            long bytes = Long.parseLong(s) * scale;
            if (bytes <= 0 || bytes > Integer.MAX_VALUE) throw new NumberFormatException();
            return (int) bytes;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cache size \"" + text + "\" in " + where
                    + " is not a positive number of bytes, KB or MB (such as 48K or 1M)");
        }
    }

    @Override
    public String toString() {
        return "L1d " + l1d / 1024 + " KB, L2 " + l2 / 1024 + " KB (" + source + ")";
    }
}
