package org.panagrad.architecture;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every public type of the engine, top-level or nested, opens with a Javadoc comment saying what it is for. */
class PublicTypesDocumentedTest {
    private static final Pattern PUBLIC_TYPE =
            Pattern.compile("^\\s*public (static |final |abstract |sealed |non-sealed )*(class|interface|record|enum|@interface) .*");

    @Test
    void everyPublicTypeHasAJavadocComment() throws IOException {
        Path sources = Path.of("src/main/java");
        List<String> undocumented = new ArrayList<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    if (!PUBLIC_TYPE.matcher(lines.get(i)).matches()) continue;
                    int j = i - 1;
                    while (j >= 0 && lines.get(j).trim().startsWith("@")) j--;
                    if (j < 0 || !lines.get(j).trim().endsWith("*/")) {
                        undocumented.add(sources.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).trim());
                    }
                }
            }
        }
        assertTrue(undocumented.isEmpty(), "public types without a Javadoc comment:\n" + String.join("\n", undocumented));
    }
}
