package org.panagrad.demo;

import org.panagrad.curvature.Calibration;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.panagrad.io.AtomicFiles;

/**
 * A reliability diagram as PNG (Java2D, ImageIO): accuracy against confidence per bin for each predictive,
 * the diagonal being perfect calibration; points below it are over-confident. The legend gives each
 * predictive's ECE and NLL.
 */
final class ReliabilityDiagram {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd)};

    private ReliabilityDiagram() {}

    record Curve(String name, Calibration calibration) {}

    static void write(Path file, String title, List<Curve> curves) throws IOException {
        int w = 720, h = 560, left = 70, right = 30, top = 50, bottom = 60;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int pw = w - left - right, ph = h - top - bottom;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(0xdddddd));
        for (int i = 0; i <= 10; i++) {
            int x = left + pw * i / 10, y = top + ph - ph * i / 10;
            g.drawLine(x, top, x, top + ph);
            g.drawLine(left, y, left + pw, y);
        }
        g.setColor(Color.DARK_GRAY);
        for (int i = 0; i <= 10; i += 2) {
            String label = String.format(Locale.ROOT, "%.1f", i / 10.0);
            g.drawString(label, left + pw * i / 10 - 8, top + ph + 18);
            g.drawString(label, left - 30, top + ph - ph * i / 10 + 4);
        }
        g.drawRect(left, top, pw, ph);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 5f}, 0f));
        g.drawLine(left, top + ph, left + pw, top);
        g.drawString("confidence (top probability, 15 bins)", left + pw / 2 - 110, h - 20);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString("accuracy", -(top + ph / 2) - 25, 20);
        rotated.dispose();
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int k = 0; k < curves.size(); k++) {
            Calibration c = curves.get(k).calibration();
            g.setColor(COLORS[k % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            int px = -1, py = -1;
            for (int b = 0; b < c.binCount().length; b++) {
                if (c.binCount()[b] == 0) continue;
                int x = left + (int) Math.round(pw * c.binConfidence()[b]);
                int y = top + ph - (int) Math.round(ph * c.binAccuracy()[b]);
                g.fillOval(x - 4, y - 4, 8, 8);
                if (px >= 0) g.drawLine(px, py, x, y);
                px = x;
                py = y;
            }
            int ly = top + 20 + 18 * k;
            g.fillRect(left + 12, ly - 9, 14, 10);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%s: ECE %.4f, NLL %.4f, accuracy %.2f%%", curves.get(k).name(), c.ece(),
                    c.nll(), 100 * c.accuracy()), left + 32, ly);
        }
        g.dispose();
        AtomicFiles.write(file, o -> ImageIO.write(image, "png", o));
    }
}
