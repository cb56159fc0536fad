import ArgumentParser
import Foundation

/// `clipcap`: CLIP-prefix captioning trained without images, and the CLIP modality gap.
/// Exit status (DESIGN.md §7): 0 success, 1 runtime failure, 2 usage error; errors are one line on stderr.
struct ClipCap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clipcap",
        abstract: "CLIP-prefix image captioning trained without images, and the CLIP modality gap.",
        subcommands: [Embed.self, Train.self, Caption.self, Decode.self, Evaluate.self, Gap.self, Run.self, Export.self, Bench.self, WorldCommand.self, Pretrain.self])
}

/// The names of a comma-separated option value (`--split train,restval`), trimmed, empty names dropped.
func commaList(_ text: String) -> [String] {
    text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// A usage error found after parsing (a bad combination of options, an unknown kind): exit status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

@main
enum Main {
    static func main() {
        let command: ParsableCommand
        do {
            command = try ClipCap.parseAsRoot()
        } catch {
            let code = ClipCap.exitCode(for: error)
            if code == .success {
                print(ClipCap.fullMessage(for: error))
                exit(0)
            }
            printError(ClipCap.message(for: error).split(separator: "\n").first.map(String.init) ?? "usage error")
            FileHandle.standardError.write(Data("Run with --help for usage.\n".utf8))
            exit(2)
        }
        do {
            var command = command
            try command.run()
        } catch let error as UsageError {
            printError(error.description)
            exit(2)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            // ArgumentParser's own errors (help requests, validation) also arrive here from run().
            switch ClipCap.exitCode(for: error) {
            case .success:
                print(ClipCap.fullMessage(for: error))
                exit(0)
            case .validationFailure:
                printError(ClipCap.message(for: error).split(separator: "\n").first.map(String.init) ?? "usage error")
                exit(2)
            default:
                printError(String(describing: error))
                exit(1)
            }
        }
    }

    static func printError(_ message: String) {
        let line = message.replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("clipcap: error: \(line)\n".utf8))
    }
}
