package dev.moratorium.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up archive's class list leaves out the classes that multi-release jars hold under
 * {@code META-INF/versions/N/}: archived, they crashed JDK 17.0.15 as soon as JFR was on.
 */
class ClassListRecorderTest {

    @TempDir
    Path dir;

    @Test
    void findsTheVersionedClassesOfEveryJarTheRunnerNames() throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        jar(lib.resolve("driver.jar"), true, "org/x/Plain.class", "org/x/Both.class",
                "META-INF/versions/11/org/x/Both.class", "META-INF/versions/9/org/x/Only9$Inner.class",
                "META-INF/versions/11/module-info.class", "META-INF/versions/11/org/x/readme.txt");
        jar(lib.resolve("plain.jar"), false, "org/y/Y.class");
        Path runner = dir.resolve("runner.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/driver.jar lib/plain.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(runner), manifest)) {
            out.putNextEntry(new JarEntry("app/Main.class"));
        }

        assertEquals(Set.of("org/x/Both", "org/x/Only9$Inner", "module-info"), ClassListRecorder.versionedClasses(runner));
    }

    @Test
    void readsTheClassALineNames() {
        assertEquals("org/x/Both", ClassListRecorder.classNamed("org/x/Both"));
        assertEquals("org/x/Both", ClassListRecorder.classNamed(
                "@lambda-proxy org/x/Both run (Lorg/x/Both;)Ljava/lang/Runnable; ()V REF_invokeVirtual org/x/Both leak ()V ()V"));
        assertEquals("", ClassListRecorder.classNamed("@lambda-form-invoker [LF_RESOLVE] java.lang.invoke.X invoke L_L"));
        assertEquals("", ClassListRecorder.classNamed("# NOTE: Do not modify this file."));
    }

    private static void jar(Path path, boolean multiRelease, String... entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (multiRelease) {
            manifest.getMainAttributes().put(Attributes.Name.MULTI_RELEASE, "true");
        }
        try (OutputStream file = Files.newOutputStream(path); JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (String entry : entries) {
                out.putNextEntry(new JarEntry(entry));
                out.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
                out.closeEntry();
            }
        }
    }
}
