package org.panagrad.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CacheSizes.detect over fake sysfs cache directories and /proc/cpuinfo files, in the order it tries them. */
class CacheSizesTest {
    @TempDir
    Path dir;

    private Path sysfs() {
        return dir.resolve("cache");
    }

    private void cacheIndex(int index, int level, String type, String size) throws IOException {
        Path d = Files.createDirectories(sysfs().resolve("index" + index));
        Files.writeString(d.resolve("level"), level + "\n");
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }

    private Path cpuinfo(String vendor, String cacheSize) throws IOException {
        return cpuinfo(vendor, 26, cacheSize);
    }

    private Path cpuinfo(String vendor, int family, String cacheSize) throws IOException {
        return Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nvendor_id\t: " + vendor
                + "\ncpu family\t: " + family + "\ncache size\t: " + cacheSize + "\n\nprocessor\t: 1\nvendor_id\t: " + vendor
                + "\ncache size\t: 99 KB\n");
    }

    private Path missing() {
        return dir.resolve("missing");
    }

    @Test
    void sysfsGivesTheL1DataCacheAndL2AndSkipsInstructionsAndL3() throws IOException {
        cacheIndex(0, 1, "Data", "48K");
        cacheIndex(1, 1, "Instruction", "32K");
        cacheIndex(2, 2, "Unified", "1024K");
        cacheIndex(3, 3, "Unified", "32768K");
        CacheSizes c = CacheSizes.detect(null, sysfs(), cpuinfo("AuthenticAMD", "512 KB"));
        assertEquals(48 * 1024, c.l1d());
        assertEquals(1024 * 1024, c.l2());
        assertEquals(sysfs().toString(), c.source());
        assertEquals("L1d 48 KB, L2 1024 KB (" + sysfs() + ")", c.toString());
    }

    @Test
    void thePropertyComesFirst() throws IOException {
        cacheIndex(0, 1, "Data", "48K");
        CacheSizes c = CacheSizes.detect(" 32K,2M ", sysfs(), missing());
        assertEquals(32 * 1024, c.l1d());
        assertEquals(2 * 1024 * 1024, c.l2());
        assertEquals("panagrad.cacheSizes", c.source());
    }

    @Test
    void aBadPropertyNamesItselfAndTheExpectedForm() {
        var wrongCount = assertThrows(IllegalArgumentException.class, () -> CacheSizes.detect("48K", missing(), missing()));
        assertTrue(wrongCount.getMessage().contains("panagrad.cacheSizes is \"48K\"") && wrongCount.getMessage().contains("48K,1M"),
                wrongCount.getMessage());
        var notANumber = assertThrows(IllegalArgumentException.class, () -> CacheSizes.detect("48K,lots", missing(), missing()));
        assertTrue(notANumber.getMessage().contains("\"lots\" in panagrad.cacheSizes"), notANumber.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheSizes.detect("0,1M", missing(), missing()));
        assertThrows(IllegalArgumentException.class, () -> CacheSizes.detect("48K,4096M", missing(), missing()));
    }

    @Test
    void sizesInBytesKilobytesAndMegabytes() {
        assertEquals(49152, CacheSizes.parseSize("49152", "t"));
        assertEquals(48 * 1024, CacheSizes.parseSize("48K", "t"));
        assertEquals(48 * 1024, CacheSizes.parseSize("48 kb", "t"));
        assertEquals(1024 * 1024, CacheSizes.parseSize("1024 KB", "t"));
        assertEquals(2 * 1024 * 1024, CacheSizes.parseSize(" 2M ", "t"));
        assertEquals(2 * 1024 * 1024, CacheSizes.parseSize("2MB", "t"));
        var e = assertThrows(IllegalArgumentException.class, () -> CacheSizes.parseSize("-1K", "here"));
        assertTrue(e.getMessage().contains("\"-1K\" in here"), e.getMessage());
    }

    @Test
    void withoutSysfsAnAmdCpuinfoGivesTheL2OfTheFirstProcessorAndTheFamilyTheL1() throws IOException {
        Path cpuinfo = cpuinfo("AuthenticAMD", "1024 KB");
        CacheSizes c = CacheSizes.detect(null, missing(), cpuinfo);
        assertEquals(48 * 1024, c.l1d(), "Zen 5 (family 26)");
        assertEquals(1024 * 1024, c.l2());
        assertEquals(cpuinfo + " (L2; L1 data from the AMD family)", c.source());
        CacheSizes zen4 = CacheSizes.detect(null, missing(), cpuinfo("AuthenticAMD", 25, "1024 KB"));
        assertEquals(32 * 1024, zen4.l1d(), "Zen 3 and 4 (family 25)");
        CacheSizes hygon = CacheSizes.detect(null, missing(), cpuinfo("HygonGenuine", 24, "512 KB"));
        assertEquals(512 * 1024, hygon.l2());
        assertEquals(32 * 1024, hygon.l1d());
    }

    @Test
    void anIntelCpuinfoGivesItsLastLevelAndIsIgnored() throws IOException {
        CacheSizes c = CacheSizes.detect(null, missing(), cpuinfo("GenuineIntel", "36608 KB"));
        assertEquals(new CacheSizes(CacheSizes.DEFAULT_L1D, CacheSizes.DEFAULT_L2, "defaults"), c);
    }

    @Test
    void sysfsWithoutAnL2TakesTheL2FromCpuinfo() throws IOException {
        cacheIndex(0, 1, "Data", "32K");
        Path cpuinfo = cpuinfo("AuthenticAMD", "1024 KB");
        CacheSizes c = CacheSizes.detect(null, sysfs(), cpuinfo);
        assertEquals(32 * 1024, c.l1d());
        assertEquals(1024 * 1024, c.l2());
        assertEquals(sysfs() + " and " + cpuinfo, c.source());
    }

    @Test
    void nothingReadableGivesTheDefaults() throws IOException {
        Files.createDirectories(sysfs());
        Files.writeString(dir.resolve("cpuinfo"), "");
        assertEquals(new CacheSizes(32 * 1024, 512 * 1024, "defaults"), CacheSizes.detect(null, sysfs(), dir.resolve("cpuinfo")));
        assertEquals(new CacheSizes(32 * 1024, 512 * 1024, "defaults"), CacheSizes.detect("", missing(), missing()));
    }

    @Test
    void aMalformedSysfsEntryFallsBackRatherThanFailing() throws IOException {
        cacheIndex(0, 2, "Unified", "huge");
        CacheSizes c = CacheSizes.detect(null, sysfs(), cpuinfo("AuthenticAMD", "1024 KB"));
        assertEquals(1024 * 1024, c.l2());
        assertEquals(48 * 1024, c.l1d(), "from the AMD family (26) in cpuinfo");
    }

    @Test
    void thisMachineIsReadWithinSaneBounds() {
        CacheSizes m = CacheSizes.MACHINE;
        assertTrue(m.l1d() >= 8 * 1024 && m.l1d() <= 1024 * 1024, m.toString());
        assertTrue(m.l2() >= 64 * 1024 && m.l2() <= 64 * 1024 * 1024, m.toString());
    }
}
