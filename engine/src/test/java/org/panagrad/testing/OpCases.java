package org.panagrad.testing;

import java.util.List;

/**
 * A family of ops' gradcheck cases. Each implementation (a public class with a no-argument constructor, one per
 * op family, in the test sources: {@code ElementwiseOpCases}, {@code LayoutOpCases}, ...) is found on the test
 * classpath by {@code OpGradCheckTest}, which runs every case, and {@code OpRegistryTest}, which fails unless
 * every {@code Op} of the engine is the output op of some case. Adding an op means adding its cases here, in
 * the family's own file: no list elsewhere to edit.
 */
public interface OpCases {
    List<OpCase> cases();
}
