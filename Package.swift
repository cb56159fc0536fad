// swift-tools-version:6.0
// ClipCap research framework: CLIP-prefix captioning trained without images, and the CLIP modality gap.
// Targets point downward: C shims → Tensor → Layers → Models; beside them Tokenizers, Imaging, Data;
// above them Training, Decoding, GapAnalysis; then Experiments and the `clipcap` executable on top. Each source target has a test target.
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "ClipCap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "clipcap", targets: ["clipcap"]),
        .library(name: "ClipCapKit", targets: ["Tensor", "Layers", "Models", "Tokenizers", "Imaging", "Data", "Metrics", "Decoding", "GapAnalysis", "Plots", "Training", "Experiments", "World"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C shims: a module map and an umbrella header, nothing else.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", path: "Sources/CLAPACKE", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CGLPK", path: "Sources/CGLPK", providers: [.apt(["libglpk-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        // JPEG/PNG decoding with setjmp-based error handlers (errors become codes, never exit/longjmp in Swift).
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),

        .target(name: "Tensor", dependencies: ["CBLAS"], swiftSettings: optimize),
        .target(name: "Layers", dependencies: ["Tensor"], swiftSettings: optimize),
        .target(name: "Models", dependencies: ["Tensor", "Layers"], swiftSettings: optimize),
        .target(name: "Tokenizers", swiftSettings: optimize),
        .target(name: "Imaging", dependencies: ["CJPEG", "CPNG", "CImageCodecs", "Tensor"], swiftSettings: optimize),
        .target(name: "Data", dependencies: ["Tensor"], swiftSettings: optimize),
        .target(name: "Metrics", dependencies: ["Data", "Tensor"], swiftSettings: optimize),
        .target(name: "Decoding", dependencies: ["Tensor", "Models", "Tokenizers"], swiftSettings: optimize),
        .target(name: "GapAnalysis", dependencies: ["Tensor", "Data", "CLAPACKE", "CGLPK"], swiftSettings: optimize),
        .target(name: "Plots", swiftSettings: optimize),
        // The built-in research world (issue 7): seeded scenes of shapes, their images, captions and scoring.
        .target(name: "World", dependencies: ["Tensor", "Data", "CImageCodecs"], swiftSettings: optimize),
        .target(name: "Training", dependencies: ["Tensor", "Layers", "Models", "Tokenizers", "Data"], swiftSettings: optimize),
        // Manifests (DESIGN §9), the stage runner and reports.
        .target(name: "Experiments", dependencies: ["Tensor", "Models", "Tokenizers", "Imaging", "Data", "Training", "Decoding", "Metrics", "GapAnalysis", "Plots", "World",
                                                   .product(name: "Yams", package: "Yams")], swiftSettings: optimize),
        .executableTarget(
            name: "clipcap",
            dependencies: [
                "Tensor", "Layers", "Models", "Tokenizers", "Imaging", "Data", "Metrics", "Decoding", "GapAnalysis", "Plots",
                "Training", "Experiments", "World",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimize),

        // Shared test helpers (expectClose, fixture paths); used by the test targets only.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Tensor", "Layers", "Models", "Tokenizers", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Tensor", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Tensor", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Data", "TestSupport"]),
        .testTarget(name: "GapAnalysisTests", dependencies: ["GapAnalysis", "Tensor", "Data", "TestSupport"]),
        .testTarget(name: "PlotsTests", dependencies: ["Plots", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "Layers", "Tensor", "Tokenizers", "Data", "World", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Training", "Models", "Data", "Decoding", "GapAnalysis", "Metrics", "Tensor", "TestSupport", "World", "Imaging", "Tokenizers"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Models", "Tensor", "Tokenizers", "TestSupport"]),
        .testTarget(name: "WorldTests", dependencies: ["World", "Data", "Imaging", "Tensor", "TestSupport"]),
        // Runs the built `clipcap` tool end to end (exit codes, error lines, no partial outputs).
        .testTarget(name: "clipcapTests", dependencies: ["clipcap", "Tensor", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
