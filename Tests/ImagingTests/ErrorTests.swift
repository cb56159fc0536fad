// Bad input throws a typed ImageError and never brings the process down.
import Foundation
import Imaging
import TestSupport
import Testing

@Suite("Decoding errors")
struct ErrorTests {
    static func kind(_ error: ImageError) -> String {
        switch error {
        case .unreadable: return "unreadable"
        case .unrecognizedFormat: return "unrecognizedFormat"
        case .corrupt: return "corrupt"
        case .truncated: return "truncated"
        case .tooLarge: return "tooLarge"
        case .outOfMemory: return "outOfMemory"
        case .invalidConfig: return "invalidConfig"
        case .batchSizeMismatch: return "batchSizeMismatch"
        }
    }

    /// Each bad fixture throws the expected kind, with a one-line description naming the file.
    /// (Pillow raises on every one of them too; the manifest records its message.)
    @Test(arguments: ImageFixtures.manifest.errors)
    func badFileThrows(_ bad: ImageManifest.BadFile) {
        let url = ImageFixtures.url(bad.file)
        do {
            let image = try ImageDecoder.decode(contentsOf: url)
            Issue.record("\(bad.file) decoded to \(image.width)x\(image.height); expected \(bad.error)")
        } catch {
            #expect(Self.kind(error) == bad.error, "\(error)")
            #expect(error.description.hasPrefix(url.path), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func truncatedJPEGSaysSo() {
        #expect(throws: ImageError.truncated(file: "t.jpg", format: .jpeg, reason: "Premature end of JPEG file")) {
            let bytes = try [UInt8](Data(contentsOf: ImageFixtures.url("truncated.jpg")))
            _ = try ImageDecoder.decode(bytes, name: "t.jpg")
        }
    }

    @Test func missingFileAndDirectoryAreUnreadable() {
        let missing = ImageFixtures.url("does-not-exist.jpg")
        #expect(throws: ImageError.unreadable(file: missing.path, reason: "No such file or directory")) {
            _ = try ImageDecoder.decode(contentsOf: missing)
        }
        #expect(throws: ImageError.unreadable(file: ImageFixtures.directory.path, reason: "is a directory")) {
            _ = try ImageDecoder.decode(contentsOf: ImageFixtures.directory)
        }
    }

    /// Every prefix length and many random byte corruptions of a JPEG (baseline and progressive) and
    /// a PNG (plain and interlaced) either decode or throw; none may crash. Cut files must throw.
    @Test(arguments: ["rgb_37x53.jpg", "rgb_200x150_progressive.jpg", "rgb_37x53.png", "rgb_interlaced_77x61.png"])
    func truncationsAndCorruptionsNeverCrash(_ file: String) throws {
        let bytes = try [UInt8](Data(contentsOf: ImageFixtures.url(file)))
        let isPNG = file.hasSuffix(".png")
        let step = max(1, bytes.count / 400)
        // PNG: the last 12 bytes are IEND, which Pillow does not require.
        for length in stride(from: 0, to: bytes.count - (isPNG ? 12 : 0), by: step) {
            #expect(throws: ImageError.self, "\(file) cut at \(length)") {
                _ = try ImageDecoder.decode(Array(bytes[..<length]), name: file)
            }
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<300 {
            var corrupt = bytes
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let i = 3 + Int(rng.next() % UInt64(bytes.count - 3))
                corrupt[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            _ = try? ImageDecoder.decode(corrupt, name: file)  // any outcome but a crash
        }
    }

    /// A header declaring a huge image is refused before any allocation.
    @Test func decompressionBombIsRefused() throws {
        var bytes = try [UInt8](Data(contentsOf: ImageFixtures.url("rgb_37x53.png")))
        // IHDR width and height at offsets 16 and 20 (big-endian); fix the chunk CRC afterwards.
        for (offset, value) in [(16, UInt32(100_000)), (20, UInt32(100_000))] {
            for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * k)) }
        }
        let crc = crc32(bytes[12..<29])
        for k in 0..<4 { bytes[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * k)) }
        #expect(throws: ImageError.tooLarge(file: "bomb.png", width: 100_000, height: 100_000)) {
            _ = try ImageDecoder.decode(bytes, name: "bomb.png")
        }
    }
}

/// Deterministic generator for the corruption loop.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
