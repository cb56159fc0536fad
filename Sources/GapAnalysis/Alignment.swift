import Data
import Foundation
import Tensor

/// How to carry the image cloud toward the text cloud (DESIGN.md §6).
public enum AlignmentMethod: String, CaseIterable, Sendable, Codable {
    /// x′ = x − mean(img) + mean(txt).
    case mean
    /// x′ = U_img·D_img·V_txtᵀ + mean(txt) (`RotationAlignment`).
    case rotation
    /// Barycentric projection of the exact OT plan (`ExactTransport`).
    case ot
    /// Barycentric projection of the entropic OT plan (`EntropicTransport`).
    case sinkhorn
    /// DeCap's softmax mix of the text embeddings (`MemoryProjection`).
    case memory

    /// Whether the method renormalizes its output unless told otherwise: only `memory` (as DeCap does).
    public var renormalizesByDefault: Bool { self == .memory }
}

/// Options for `ModalityGap.align`; each method reads the ones it uses.
public struct AlignmentOptions: Sendable {
    /// L2-normalize the output rows. Nil: the method's default (`AlignmentMethod.renormalizesByDefault`).
    public var renormalize: Bool?
    /// Ground cost for `ot` and `sinkhorn`.
    public var cost: TransportCost
    /// ε for `sinkhorn`, in cost units.
    public var epsilon: Double
    /// τ for `memory`.
    public var temperature: Double
    /// For `ot`: output the paper's unnormalized Σⱼ Tᵢⱼ yⱼ instead of the barycentric projection (the
    /// report then gives the mean norms of both).
    public var unnormalized: Bool
    public var sinkhornMaxIterations: Int
    public var sinkhornTolerance: Double
    public var exact: ExactTransport.Options

    public init(renormalize: Bool? = nil, cost: TransportCost = .euclidean, epsilon: Double = 0.01,
                temperature: Double = 0.01, unnormalized: Bool = false, sinkhornMaxIterations: Int = 10_000,
                sinkhornTolerance: Double = 1e-5, exact: ExactTransport.Options = .init()) {
        self.renormalize = renormalize; self.cost = cost; self.epsilon = epsilon; self.temperature = temperature
        self.unnormalized = unnormalized; self.sinkhornMaxIterations = sinkhornMaxIterations
        self.sinkhornTolerance = sinkhornTolerance; self.exact = exact
    }
}

/// One aligned image cloud and its report.
public struct Alignment: Sendable {
    public var method: AlignmentMethod
    /// [N_img, D]: one row per image row, in the image store's order.
    public var aligned: Tensor
    /// The transport cost ⟨T, C⟩ for `ot` and `sinkhorn`; for the other methods the mean distance moved,
    /// mean ‖x′ᵢ − xᵢ‖ (from the normalized input rows).
    public var cost: Double
    /// LP solves for `ot`, Sinkhorn iterations for `sinkhorn`, 1 for the closed forms.
    public var iterations: Int
    /// Wall time of the alignment itself (not of reading the stores).
    public var seconds: Double
    public var renormalized: Bool
    public var imageCount: Int
    public var textCount: Int
    /// Method-specific report columns, in order (for example `components` for `rotation`).
    public var parameters: [(name: String, value: String)]
    /// The exact OT solution, for `ot`.
    public var transport: ExactTransport.Solution?

    /// The report's header: `method,cost,iterations,seconds,renormalized,image_count,text_count`, then the
    /// parameters' names.
    public var csvHeader: [String] {
        ["method", "cost", "iterations", "seconds", "renormalized", "image_count", "text_count"] + parameters.map(\.name)
    }

    /// The report's one row, matching `csvHeader`.
    public var csvRow: [String] {
        [method.rawValue, format(cost), "\(iterations)", format(seconds), "\(renormalized)", "\(imageCount)",
         "\(textCount)"] + parameters.map(\.value)
    }

    /// Writes the report CSV (atomically).
    public func writeReport(to url: URL) throws {
        try CSVWriter.write(header: csvHeader, rows: [csvRow], to: url)
    }

    /// Writes the aligned cloud as an embedding store with the image store's sidecar rows (atomically).
    public func writeStore(to url: URL, rows: [JSONValue]) throws {
        try EmbeddingStore.write(embeddings: aligned, rows: rows, to: url)
    }

    /// `NAME.csv` beside `NAME.safetensors`.
    public static func reportURL(for storeURL: URL) -> URL {
        storeURL.deletingPathExtension().appendingPathExtension("csv")
    }
}

extension Alignment {
    /// Runs `method` on clouds that are already as they should be compared (normally unit rows).
    static func run(_ method: AlignmentMethod, image: Tensor, text: Tensor, options: AlignmentOptions,
                    progress: ((ExactTransport.Progress) -> Void)?) throws -> Alignment {
        let start = Stopwatch.now()
        let renormalize = options.renormalize ?? method.renormalizesByDefault
        var aligned: Tensor
        var cost: Double?
        var iterations = 1
        var parameters: [(name: String, value: String)] = []
        var transport: ExactTransport.Solution?
        switch method {
        case .mean:
            aligned = MeanShift.apply(image: image, text: text)
        case .rotation:
            let result = try RotationAlignment.apply(image: image, text: text)
            aligned = result.aligned
            parameters.append(("components", "\(result.components)"))
        case .memory:
            aligned = try MemoryProjection.apply(image: image, memory: text, temperature: options.temperature,
                                                 renormalize: false)
            parameters.append(("temperature", format(options.temperature)))
        case .sinkhorn:
            let solution = try EntropicTransport.solve(
                source: image, target: text, cost: options.cost,
                options: .init(epsilon: options.epsilon, maxIterations: options.sinkhornMaxIterations,
                               tolerance: options.sinkhornTolerance))
            aligned = solution.barycentricProjection(target: text)
            cost = solution.cost
            iterations = solution.iterations
            parameters += [("cost_function", options.cost.rawValue), ("epsilon", format(options.epsilon)),
                           ("marginal_error", format(solution.marginalError)), ("converged", "\(solution.converged)")]
        case .ot:
            let solution = try ExactTransport.solve(source: image, target: text, cost: options.cost,
                                                    options: options.exact, progress: progress)
            let barycentric = solution.barycentricProjection(target: text)
            aligned = barycentric
            cost = solution.cost
            iterations = solution.rounds
            transport = solution
            parameters += [("cost_function", options.cost.rawValue),
                           ("projection", options.unnormalized ? "unnormalized" : "barycentric"),
                           ("row_mass", format(1 / Double(image.shape[0])))]
            if options.unnormalized {
                let raw = solution.unnormalizedProjection(target: text)
                parameters += [("mean_norm_barycentric", format(meanRowNorm(barycentric))),
                               ("mean_norm_unnormalized", format(meanRowNorm(raw)))]
                aligned = raw
            }
            let c = solution.certificate
            parameters += [("candidates", "\(solution.candidates)"), ("simplex_iterations", "\(solution.simplexIterations)"),
                           ("min_reduced_cost", format(c.minimumReducedCost)), ("duality_gap", format(c.dualityGap)),
                           ("optimal", "\(c.isOptimal)")]
        }
        if renormalize { renormalizeRowsInPlace(&aligned) }
        if method == .ot { parameters.append(("mean_norm", format(meanRowNorm(aligned)))) }
        return Alignment(method: method, aligned: aligned, cost: cost ?? meanRowDistance(aligned, image),
                         iterations: iterations, seconds: Stopwatch.now() - start, renormalized: renormalize,
                         imageCount: image.shape[0], textCount: text.shape[0], parameters: parameters,
                         transport: transport)
    }
}
