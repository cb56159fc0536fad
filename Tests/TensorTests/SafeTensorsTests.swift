import Foundation
import Testing
import Tensor
import TestSupport

@Suite struct SafeTensorsTests {
    let dtypes = fixturesDirectory.appendingPathComponent("dtypes.safetensors").path

    @Test func convertsHalfBFloatAndDoubleExactly() throws {
        let f = try SafeTensorsFile(path: dtypes)
        for (k, ref) in [("f16", "f16_as_f32"), ("bf16", "bf16_as_f32"), ("f64", "f64_as_f32")] {
            // conversion is exact: torch's .float() of the same stored values
            expectClose(try f.tensor(k).scalars, try f.tensor(ref).scalars, atol: 0, k)
        }
        #expect(try f.integers("i64").values == Array(-3..<5))
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    @Test func writerRoundTripsAndIsAligned() throws {
        let dir = try tempDir()
        let url = dir.appendingPathComponent("x.safetensors")
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [1], values: [-7])
        try SafeTensorsWriter.write(["b": b, "a": a], metadata: ["format": "pt"], to: url)
        let f = try SafeTensorsFile(path: url.path)
        #expect(try f.tensor("a", shape: [2, 3]).scalars == a.scalars)
        #expect(try f.tensor("b").scalars == [-7])
        #expect(f.metadata["format"] == "pt")
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect((8 + headerLength) % 8 == 0)
        // no temporary files left beside it
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.safetensors"])
    }

    @Test func rejectsBadFilesWithNamedErrors() throws {
        let dir = try tempDir()
        let good = dir.appendingPathComponent("good.safetensors")
        try SafeTensorsWriter.write(["w": Tensor(shape: [4], values: [1, 2, 3, 4])], to: good)
        let bytes = try Data(contentsOf: good)

        func expectError(_ data: Data, _ check: (SafeTensorsError) -> Bool) throws {
            let url = dir.appendingPathComponent("bad-\(UUID().uuidString).safetensors")
            try data.write(to: url)
            do { _ = try SafeTensorsFile(path: url.path).tensor("w"); Issue.record("no error for \(url.lastPathComponent)") }
            catch let e as SafeTensorsError {
                #expect(check(e), "\(e)")
                #expect(e.description.contains(url.path))
            }
        }
        try expectError(bytes.prefix(bytes.count - 3)) { if case .truncated = $0 { return true }; return false }
        try expectError(bytes.prefix(5)) { if case .truncated = $0 { return true }; return false }
        var garbage = bytes; garbage[9] = 0x7B; garbage[10] = 0x7B
        try expectError(garbage) { if case .malformedHeader = $0 { return true }; return false }

        let f = try SafeTensorsFile(path: good.path)
        #expect(throws: SafeTensorsError.missingTensor(file: good.path, name: "nope")) { try f.tensor("nope") }
        #expect(throws: SafeTensorsError.shapeMismatch(file: good.path, name: "w", expected: [2, 3], actual: [4])) {
            try f.tensor("w", shape: [2, 3])
        }
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: dir.appendingPathComponent("absent").path) }
    }

    @Test func unsupportedDTypeIsNamed() throws {
        let f = try SafeTensorsFile(path: dtypes)
        #expect(throws: SafeTensorsError.unsupportedDType(file: dtypes, name: "i64", dtype: "I64")) { try f.tensor("i64") }
    }
}
