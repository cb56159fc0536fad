import Foundation

/// Finding `java` and the official scorer jars. Nothing here runs Python except, as a last resort, one
/// `python3 -c` query for where an installed pycocoevalcap lives.
public enum JavaTools {
    /// `java` from `$JAVA_HOME/bin`, else the first on `$PATH`; nil when there is none.
    public static func java(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let home = environment["JAVA_HOME"], !home.isEmpty {
            let candidate = URL(fileURLWithPath: home).appendingPathComponent("bin/java")
            if isExecutable(candidate.path) { return candidate }
        }
        return executableOnPath("java", environment: environment)
    }

    /// The METEOR 1.5 jar: `configured` when given, else `$CLIPCAP_METEOR_JAR`, else `meteor/meteor-1.5.jar`
    /// inside an installed pycocoevalcap (common site-packages folders first, then asking `python3`).
    /// Returns nil when none exists. A configured path or variable that names a missing file is not
    /// replaced by a search: the answer is nil, so the caller can say which path was wrong.
    public static func meteorJar(configured: URL? = nil,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if let configured { return FileManager.default.fileExists(atPath: configured.path) ? configured : nil }
        if let path = environment["CLIPCAP_METEOR_JAR"], !path.isEmpty {
            return FileManager.default.fileExists(atPath: path) ? URL(fileURLWithPath: path) : nil
        }
        let relative = "meteor/meteor-1.5.jar"
        for folder in pycocoevalcapFolders(environment: environment) {
            let jar = folder.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: jar.path) { return jar }
        }
        if let folder = pycocoevalcapFolderFromPython(environment: environment) {
            let jar = folder.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: jar.path) { return jar }
        }
        return nil
    }

    /// Likely `site-packages/pycocoevalcap` folders: the active virtualenv or conda environment, the user
    /// site, pyenv versions, and the system Python prefixes.
    static func pycocoevalcapFolders(environment: [String: String]) -> [URL] {
        let fm = FileManager.default
        var prefixes: [String] = []
        if let venv = environment["VIRTUAL_ENV"] { prefixes.append(venv) }
        if let conda = environment["CONDA_PREFIX"] { prefixes.append(conda) }
        if let home = environment["HOME"] {
            prefixes.append(home + "/.local")
            let pyenv = (environment["PYENV_ROOT"] ?? home + "/.pyenv") + "/versions"
            for v in ((try? fm.contentsOfDirectory(atPath: pyenv)) ?? []).sorted() { prefixes.append(pyenv + "/" + v) }
        }
        prefixes += ["/usr/local", "/usr", "/opt/conda"]
        var folders: [URL] = []
        for prefix in prefixes {
            let lib = prefix + "/lib"
            for python in ((try? fm.contentsOfDirectory(atPath: lib)) ?? []).sorted() where python.hasPrefix("python3") {
                for packages in ["site-packages", "dist-packages"] {
                    folders.append(URL(fileURLWithPath: "\(lib)/\(python)/\(packages)/pycocoevalcap"))
                }
            }
        }
        folders.append(URL(fileURLWithPath: "/usr/lib/python3/dist-packages/pycocoevalcap"))
        return folders
    }

    /// Asks `python3` where pycocoevalcap is. Version 1.2 is a namespace package (no `__init__.py`, so no
    /// `__file__`), hence `__path__`.
    static func pycocoevalcapFolderFromPython(environment: [String: String]) -> URL? {
        guard let python = executableOnPath("python3", environment: environment) else { return nil }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import pycocoevalcap; print(list(pycocoevalcap.__path__)[0])"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : URL(fileURLWithPath: path)
    }

    static func executableOnPath(_ name: String, environment: [String: String]) -> URL? {
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let path = "\(dir)/\(name)"
            if isExecutable(path) { return URL(fileURLWithPath: path) }
        }
        return nil
    }

    static func isExecutable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}

/// A child process spoken to line by line over stdin/stdout (METEOR's `-stdio` mode). Its stderr goes to
/// a temporary file so that a chatty child cannot block, and the last line can explain a failure.
final class LineProcess {
    private let process = Process()
    private let input: FileHandle
    private let output: FileHandle
    private let errorLog: URL
    private var buffer: [UInt8] = []
    private let label: String
    private var launched = false
    private var closed = false

    init(executable: URL, arguments: [String], workingDirectory: URL, label: String) throws {
        self.label = label
        // Writing to a child that died must fail with EPIPE, not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("clipcap-java-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: errorLog.path, contents: nil) else {
            throw MetricsError.javaFailed(jar: label, reason: "cannot create a log file in \(errorLog.deletingLastPathComponent().path)")
        }
        let stdin = Pipe(), stdout = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorLog)
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading
        do {
            try process.run()
            launched = true
        } catch {
            try? FileManager.default.removeItem(at: errorLog)
            throw MetricsError.javaFailed(jar: label, reason: "cannot start \(executable.path): \(error.localizedDescription)")
        }
    }

    deinit { close() }

    func writeLine(_ line: String) throws {
        do {
            try input.write(contentsOf: Data((line + "\n").utf8))
        } catch {
            throw failure("stopped reading its input")
        }
    }

    /// The next line of output, without its line break; throws when the child closes its output.
    func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.availableData
            if chunk.isEmpty { throw failure("exited before answering") }
            buffer.append(contentsOf: chunk)
        }
    }

    /// Closes stdin, stops the child and removes the error log.
    func close() {
        guard !closed else { return }
        closed = true
        try? input.close()
        if launched {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: errorLog)
    }

    /// An error naming the jar, with the child's last stderr line when there is one.
    func failure(_ what: String) -> MetricsError {
        let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        let last = log.split(whereSeparator: \.isNewline).last.map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return MetricsError.javaFailed(jar: label, reason: "\(what)\(last)")
    }
}
