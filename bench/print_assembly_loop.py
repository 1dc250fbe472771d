#!/usr/bin/python3
"""The hot loop of one C2 compile, from JDK 17's PrintAssembly output without hsdis (raw code bytes).

Usage:
    java ... -XX:+UnlockDiagnosticVMOptions \
        -XX:CompileCommand=print,org.panagrad.kernels.VectorColumnsProduct::rows8x2 ... > run.txt
    /usr/bin/python3 bench/print_assembly_loop.py run.txt rows8x2 N OUT

Takes the N-th (from 0) normal, non-OSR, C2 compile of the method named rows8x2 in run.txt, writes its code bytes
(main code and stubs) to OUT.bin, objdump's disassembly to OUT.s and to OUT.loop the loop around the
multiply-adds: from the lowest target of the backward jumps that close it (a jump after the last FMA to a place at
or before the first one, and such jumps within 64 bytes after it) to the last of them, with jump targets as
offsets from the code's start, so that two compiles' loops can be diffed. Prints the code size (the 8,280- and
9,720-byte forms of rows8x2 of session 21) and a count of what costs in the loop: moves between general and
vector registers, stack operands, integer stores to the stack, 512-bit spills and safepoint polls. Needs
binutils' objdump. Works on JDK 25's output too.
"""
import re
import subprocess
import sys


def compile_bytes(lines, method, which):
    """(header line, code start address, code bytes) of the which-th normal C2 compile of method."""
    starts = [i for i, l in enumerate(lines)
              if l.startswith('Compiled method (c2)') and ' % ' not in l and '::' + method + ' ' in l]
    if which >= len(starts):
        sys.exit('%s: %d normal C2 compile(s) of %s, asked for number %d (from 0)'
                 % (sys.argv[1], len(starts), method, which))
    i = starts[which]
    header = lines[i]
    while not lines[i].startswith('[MachCode]'):
        i += 1
    code, base = bytearray(), None
    for line in lines[i + 1:]:
        if line.startswith('[/MachCode]') or line.startswith('Compiled method'):
            break
        m = re.match(r'\s*0x([0-9a-f]+): ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$', line)
        if not m:
            continue  # comments ("; implicit exception ...") and section labels
        address = int(m.group(1), 16)
        if base is None:
            base = address
        if address != base + len(code):
            sys.exit('%s: code of %s not contiguous at %#x (expected %#x)'
                     % (sys.argv[1], header, address, base + len(code)))
        code += bytes.fromhex(re.sub(r'[\s|]', '', m.group(2)))
    return header, base, code


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    log, method, which, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    header, base, code = compile_bytes(open(log, errors='replace').read().split('\n'), method, which)
    with open(out + '.bin', 'wb') as f:
        f.write(code)
    listing = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '--adjust-vma=%#x' % base,
                              out + '.bin'], capture_output=True, text=True, check=True).stdout
    with open(out + '.s', 'w') as f:
        f.write(listing)
    instructions = []
    for line in listing.split('\n'):
        fields = line.split('\t')
        if len(fields) >= 3 and fields[0].strip().endswith(':'):
            instructions.append((int(fields[0].strip()[:-1], 16), fields[2].strip()))
    fmas = [a for a, text in instructions if text.startswith('vfmadd')]
    if not fmas:
        sys.exit('%s: no FMA in %s' % (log, header))
    back = []
    for a, text in instructions:
        m = re.match(r'j\w+\s+0x([0-9a-f]+)', text)
        if m and base <= int(m.group(1), 16) <= fmas[0] and a >= fmas[-1]:
            back.append((int(m.group(1), 16), a))
    if not back:
        sys.exit('%s: no backward jump around the FMAs of %s' % (log, header))
    # The first backward jump after the FMAs closes the loop; jumps within 64 bytes of it (a latch and a block laid
    # out after it) belong to it too, while those from stubs far below (the entry barrier's) do not.
    first = min(a for _, a in back)
    near = [(t, a) for t, a in back if a - first <= 64]
    start, end = min(t for t, _ in near), max(a for _, a in near)
    loop = [(a - base, re.sub(r'0x([0-9a-f]{9,})', lambda m: '+%#x' % (int(m.group(1), 16) - base), text))
            for a, text in instructions if start <= a <= end]
    with open(out + '.loop', 'w') as f:
        f.write('# %s\n# code bytes %d, loop at offsets %#x-%#x, head address mod 64 = %d\n'
                % (header, len(code), start - base, end - base, start % 64))
        f.writelines('%5x  %s\n' % row for row in loop)

    def count(pattern):
        return sum(1 for _, text in loop if re.search(pattern, text))
    print('%s: %d bytes, loop %d instructions; %d general<->vector moves, %d stack operands (%d integer stores), '
          '%d 512-bit spills, %d safepoint polls' % (
              out, len(code), len(loop), count(r'^vmov[dq] +%(xmm\d+,%[er]|[er]\w+,%xmm)'), count(r'\(%rsp\)'),
              count(r'^mov +%\w+,(0x[0-9a-f]+)?\(%rsp\)'), count(r'^vmovdqu64 .*%rsp'), count(r'^test +%eax,\(')))


if __name__ == '__main__':
    main()
