import Foundation

/// Errors from the gap analysis. Every description is one line that starts with the file at fault
/// (the store's path, or a name such as "image cloud" for tensors built in memory), like a compiler
/// diagnostic, so the CLI can print it as it is.
public enum GapError: Error, CustomStringConvertible, Equatable {
    /// The image and text clouds have different widths D.
    case dimensionMismatch(image: String, imageDimension: Int, text: String, textDimension: Int)
    /// A cloud has fewer rows than the computation needs (`needed` says how many).
    case tooFewRows(file: String, rows: Int, needed: Int, purpose: String)
    /// A row that cannot be L2-normalized: all zeros (`row` is 0-based).
    case zeroRow(file: String, row: Int)
    /// A NaN or an infinity in the embeddings (`row` is 0-based).
    case nonFinite(file: String, row: Int)
    /// A parameter outside its domain (for example a non-positive temperature).
    case invalidParameter(name: String, value: String, reason: String)
    /// No image row shares an `image_id` with a text row, where matched pairs are required.
    case noMatchedPairs(image: String, text: String)
    /// A LAPACK routine reported failure (`info` as LAPACK returns it).
    case lapack(routine: String, info: Int)
    /// GLPK did not reach an optimal solution.
    case solver(reason: String)
    /// Sinkhorn produced a non-finite potential (ε too small for the cost scale, for example).
    case sinkhornDiverged(epsilon: Double, iteration: Int)

    public var description: String {
        let text: String
        switch self {
        case .dimensionMismatch(let image, let di, let txt, let dt):
            text = "\(image): image embeddings have width \(di) but \(txt) has width \(dt); both clouds need the same D"
        case .tooFewRows(let file, let rows, let needed, let purpose):
            text = "\(file): \(rows) rows; \(purpose) needs at least \(needed)"
        case .zeroRow(let file, let row):
            text = "\(file): row \(row) is all zeros and cannot be L2-normalized"
        case .nonFinite(let file, let row):
            text = "\(file): row \(row) holds a NaN or an infinity"
        case .invalidParameter(let name, let value, let reason):
            text = "invalid \(name) \(value): \(reason)"
        case .noMatchedPairs(let image, let txt):
            text = "\(image): no image_id matches a caption's image_id in \(txt); matched pairs are required here"
        case .lapack(let routine, let info):
            text = "LAPACK \(routine) failed (info \(info))"
        case .solver(let reason):
            text = "GLPK: \(reason)"
        case .sinkhornDiverged(let epsilon, let iteration):
            text = "Sinkhorn diverged at iteration \(iteration) with epsilon \(epsilon); use a larger epsilon"
        }
        return text.contains(where: \.isNewline)
            ? text.split(whereSeparator: \.isNewline).joined(separator: " ") : text
    }
}
