package org.panagrad.demo;

import org.panagrad.io.AtomicFiles;
import org.panagrad.io.Dataset;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The influence picture (PNG, Java2D): the test image on the left, and to its right two rows, the most helpful and
 * the most harmful training images, each with its index, label and score.
 */
final class InfluencePicture {
    private static final int SCALE = 3, GAP = 14, CAPTION = 30;

    private InfluencePicture() {}

    static void write(Path file, Dataset test, int testIndex, Dataset train, List<InfluenceCommand.Entry> helpful,
                      List<InfluenceCommand.Entry> harmful, String method) throws IOException {
        int cell = test.cols() * SCALE, rowHeight = test.rows() * SCALE + CAPTION + GAP, k = Math.max(helpful.size(), harmful.size());
        int left = cell + 3 * GAP, labelWidth = 70;
        int width = left + labelWidth + k * (cell + GAP) + GAP, height = 40 + 2 * rowHeight;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(String.format(Locale.ROOT, "Influence on test image %d (%s)", testIndex, method), GAP, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int testTop = 40 + rowHeight / 2;
        draw(g, test, testIndex, GAP, testTop);
        g.setColor(Color.BLACK);
        g.drawString("test, label " + test.labels()[testIndex], GAP, testTop + test.rows() * SCALE + 14);
        row(g, train, helpful, "helpful", new Color(0x2ca02c), left, labelWidth, 40, cell);
        row(g, train, harmful, "harmful", new Color(0xd62728), left, labelWidth, 40 + rowHeight, cell);
        g.dispose();
        AtomicFiles.write(file, o -> ImageIO.write(image, "png", o));
    }

    private static void row(Graphics2D g, Dataset train, List<InfluenceCommand.Entry> entries, String title, Color color,
                            int left, int labelWidth, int top, int cell) {
        g.setColor(color);
        g.drawString(title, left, top + cell / 2);
        for (int i = 0; i < entries.size(); i++) {
            InfluenceCommand.Entry e = entries.get(i);
            int x = left + labelWidth + i * (cell + GAP);
            draw(g, train, e.index(), x, top);
            g.setColor(color);
            g.drawRect(x - 1, top - 1, cell + 1, cell + 1);
            g.setColor(Color.BLACK);
            g.drawString("#" + e.index() + "  label " + e.label(), x, top + cell + 12);
            g.drawString(String.format(Locale.ROOT, "%+.3g", e.score()), x, top + cell + 25);
        }
    }

    /** Image i of the set, gray levels (white background, dark strokes), scaled. */
    private static void draw(Graphics2D g, Dataset set, int i, int x, int y) {
        int rows = set.rows(), cols = set.cols(), pixels = rows * cols;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = set.images()[i * pixels + r * cols + c];
                int level = 255 - Math.max(0, Math.min(255, Math.round(v * 255)));
                g.setColor(new Color(level, level, level));
                g.fillRect(x + c * SCALE, y + r * SCALE, SCALE, SCALE);
            }
        }
    }
}
