import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Prints the time budget of the last test run from the Surefire and Failsafe reports under ROOT: seconds per module
 * (unit and integration tests apart) and the 10 slowest test classes. Run by `./virga test` at its end:
 * java scripts/TestReport.java ROOT
 */
public class TestReport {
    private static final Pattern SUITE = Pattern.compile("<testsuite\\b[^>]*>");
    private static final Pattern ATTR = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    record Suite(String module, String kind, String name, double seconds, int tests, int failed, int skipped) {
    }

    public static void main(String[] args) throws IOException {
        var root = Path.of(args.length > 0 ? args[0] : ".");
        var suites = new ArrayList<Suite>();
        try (Stream<Path> modules = Files.list(root)) {
            for (var module : modules.filter(Files::isDirectory).sorted().toList()) {
                read(module, "surefire-reports", "unit", suites);
                read(module, "failsafe-reports", "integration", suites);
            }
        }
        if (suites.isEmpty()) {
            System.out.println("test report: no test reports under " + root.toAbsolutePath());
            return;
        }
        var perModule = new TreeMap<String, double[]>();
        for (var s : suites) {
            var t = perModule.computeIfAbsent(s.module(), k -> new double[2]);
            t[s.kind().equals("unit") ? 0 : 1] += s.seconds();
        }
        System.out.println();
        System.out.println("==> test time per module (sum of class times; unit tests of one module may run twice,");
        System.out.println("    on SQLite and on PostgreSQL)");
        System.out.printf(Locale.ROOT, "    %-10s %10s %14s%n", "MODULE", "UNIT", "INTEGRATION");
        double unit = 0;
        double it = 0;
        for (Map.Entry<String, double[]> e : perModule.entrySet()) {
            System.out.printf(Locale.ROOT, "    %-10s %9.1fs %13.1fs%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
            unit += e.getValue()[0];
            it += e.getValue()[1];
        }
        System.out.printf(Locale.ROOT, "    %-10s %9.1fs %13.1fs%n", "all", unit, it);
        System.out.println("==> the 10 slowest test classes");
        suites.stream().sorted(Comparator.comparingDouble(Suite::seconds).reversed()).limit(10).forEach(s ->
                System.out.printf(Locale.ROOT, "    %7.1fs  %-12s %s (%d tests%s)%n", s.seconds(), s.module(),
                        s.name(), s.tests(), s.failed() + s.skipped() == 0 ? ""
                                : ", " + s.failed() + " failed, " + s.skipped() + " skipped"));
        int tests = suites.stream().mapToInt(Suite::tests).sum();
        int failed = suites.stream().mapToInt(Suite::failed).sum();
        int skipped = suites.stream().mapToInt(Suite::skipped).sum();
        System.out.printf(Locale.ROOT, "==> %d tests in %d classes: %d failed, %d skipped%n", tests, suites.size(),
                failed, skipped);
    }

    private static void read(Path module, String dir, String kind, List<Suite> out) throws IOException {
        var reports = module.resolve("target").resolve(dir);
        if (!Files.isDirectory(reports)) {
            return;
        }
        try (Stream<Path> files = Files.list(reports)) {
            for (var f : files.filter(p -> p.getFileName().toString().startsWith("TEST-")
                    && p.getFileName().toString().endsWith(".xml")).sorted().toList()) {
                var m = SUITE.matcher(Files.readString(f));
                if (!m.find()) {
                    continue;
                }
                var attrs = new TreeMap<String, String>();
                var a = ATTR.matcher(m.group());
                while (a.find()) {
                    attrs.put(a.group(1), a.group(2));
                }
                var name = attrs.getOrDefault("name", f.getFileName().toString());
                out.add(new Suite(module.getFileName().toString(), kind, name.substring(name.lastIndexOf('.') + 1),
                        number(attrs.get("time")), (int) number(attrs.get("tests")),
                        (int) (number(attrs.get("failures")) + number(attrs.get("errors"))),
                        (int) number(attrs.get("skipped"))));
            }
        }
    }

    private static double number(String text) {
        try {
            return text == null ? 0 : Double.parseDouble(text.replace(",", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
