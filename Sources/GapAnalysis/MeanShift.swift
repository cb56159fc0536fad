import Foundation
import Tensor

/// The mean-shift alignment (DESIGN.md §6): x′ = x − mean(img) + mean(txt), on the clouds as given
/// (normally L2-normalized rows). Closes the centroid gap exactly: mean(x′) = mean(txt).
public enum MeanShift {
    /// `image` [N_img, D], `text` [N_txt, D]; returns [N_img, D]. The shift is computed in Double.
    public static func apply(image: Tensor, text: Tensor) -> Tensor {
        let n = image.shape[0], d = image.shape[1]
        let mi = columnMean(image), mt = columnMean(text)
        var out = Tensor(uninitialized: [n, d])
        let src = image.data, dst = out.mutableData
        for i in 0..<n {
            for c in 0..<d { dst[i * d + c] = Float(Double(src[i * d + c]) - mi[c] + mt[c]) }
        }
        return out
    }
}
