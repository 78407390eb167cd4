package dev.virga.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain text table with a header row, columns padded to their widest cell. */
final class Table {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... header) {
        this.header = List.of(header);
    }

    Table row(Object... cells) {
        var r = new ArrayList<String>();
        for (var c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    void print(PrintStream out) {
        var widths = new int[header.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = header.get(i).length();
            for (var r : rows) {
                widths[i] = Math.max(widths[i], r.get(i).length());
            }
        }
        line(out, header, widths);
        for (var r : rows) {
            line(out, r, widths);
        }
    }

    private static void line(PrintStream out, List<String> cells, int[] widths) {
        var sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            sb.append(i == cells.size() - 1 ? cells.get(i) : String.format("%-" + widths[i] + "s  ", cells.get(i)));
        }
        out.println(sb.toString().stripTrailing());
    }
}
