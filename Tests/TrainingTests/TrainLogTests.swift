import Data
import Foundation
import Testing
@testable import Training

struct TrainLogTests {
    static let rows = [
        TrainLogRow(step: 0, epoch: 0, loss: 9.875, lr: 0, tokensPerSecond: 1234.5),
        TrainLogRow(step: 1, epoch: 0, loss: 0.1 + 0.2, lr: 2e-9, tokensPerSecond: 1300.25),
        TrainLogRow(step: 2, epoch: 1, loss: 7.5, lr: 4e-9, tokensPerSecond: 1299),
        TrainLogRow(step: 3, epoch: 1, loss: 7.25, lr: 6e-9, tokensPerSecond: 1301.75),
    ]

    func logFile() throws -> (URL, URL) {
        let dir = try TrainingFixtures.temporaryFolder()
        return (dir, dir.appendingPathComponent("train_log.csv"))
    }

    func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test func rowsAreAppendedWholeAndReadBackExactly() throws {
        let (dir, url) = try logFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try TrainLog(url: url)
        #expect(try text(url) == "step,epoch,loss,lr,tokens_per_s\n")
        for row in Self.rows { try log.append(row) }
        #expect(try TrainLog.read(url) == Self.rows)
        #expect(try text(url).split(separator: "\n")[2] == "1,0,0.30000000000000004,2e-09,1300.25")
    }

    @Test func resumingDropsTheStepsFromTheResumePointOn() throws {
        let (dir, url) = try logFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let log = try TrainLog(url: url)
            for row in Self.rows { try log.append(row) }
        }
        // The checkpoint was saved after steps 0 and 1: the run continues at step 2.
        let resumed = try TrainLog(url: url, resumeStep: 2)
        #expect(try TrainLog.read(url) == Array(Self.rows.prefix(2)))
        let replay = TrainLogRow(step: 2, epoch: 1, loss: 7.5, lr: 4e-9, tokensPerSecond: 999)
        try resumed.append(replay)
        #expect(try TrainLog.read(url) == Array(Self.rows.prefix(2)) + [replay])
        // Resuming at 0, or with no file, starts afresh.
        _ = try TrainLog(url: url, resumeStep: 0)
        #expect(try TrainLog.read(url).isEmpty)
        try FileManager.default.removeItem(at: url)
        _ = try TrainLog(url: url, resumeStep: 5)
        #expect(try text(url) == "step,epoch,loss,lr,tokens_per_s\n")
    }

    @Test func aTornLastLineIsCutOnResume() throws {
        let (dir, url) = try logFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let log = try TrainLog(url: url)
            for row in Self.rows.prefix(2) { try log.append(row) }
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("2,1,7.".utf8))   // a crash mid-row
        try handle.close()
        #expect(throws: DataError.self) { try TrainLog.read(url) }
        _ = try TrainLog(url: url, resumeStep: 10)
        #expect(try TrainLog.read(url) == Array(Self.rows.prefix(2)))

        // Even a torn header: nothing was logged, so the log starts afresh.
        try Data("step,ep".utf8).write(to: url)
        _ = try TrainLog(url: url, resumeStep: 3)
        #expect(try text(url) == "step,epoch,loss,lr,tokens_per_s\n")
    }

    @Test func anotherHeaderOrABadRowIsAnError() throws {
        let (dir, url) = try logFile()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "step,loss\n0,1.5\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformed(file: url.path, line: 1,
                                            reason: "expected the header step,epoch,loss,lr,tokens_per_s, found step,loss")) {
            try TrainLog(url: url, resumeStep: 1)
        }
        try "step,epoch,loss,lr,tokens_per_s\n0,0,1.5,0.1,10\n1,0,nan?,0.1,10\n".write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: DataError.malformed(file: url.path, line: 3, reason: "expected numbers, found 1,0,nan?,0.1,10")) {
            try TrainLog.read(url)
        }
    }
}
