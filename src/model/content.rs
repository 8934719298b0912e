//! The per-frame content path: MobileNetV1-style encoder and the symmetric decoder.

use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

use super::layers::{DepthwiseSeparable, ModulationCursor, ReflectConv, ResidualBlock, UpBlock};
use super::Modulation;

/// Stride-1 stem, two stride-2 depthwise-separable blocks, two residual blocks.
#[derive(Debug, Clone)]
pub struct ContentEncoder {
    stem: ReflectConv,
    down1: DepthwiseSeparable,
    down2: DepthwiseSeparable,
    res1: ResidualBlock,
    res2: ResidualBlock,
}

/// Encoder features at scales 1, 1/2 and 1/4: what the three DIN layers normalise.
pub struct ContentFeatures {
    pub e1: Tensor,
    pub e2: Tensor,
    pub e3: Tensor,
}

impl ContentEncoder {
    pub fn new(widths: [usize; 3], vb: VarBuilder) -> Result<Self> {
        let [c1, c2, c3] = widths;
        Ok(Self {
            stem: ReflectConv::new(3, c1, 3, vb.pp("stem"))?,
            down1: DepthwiseSeparable::new(c1, c2, 2, vb.pp("down1"))?,
            down2: DepthwiseSeparable::new(c2, c3, 2, vb.pp("down2"))?,
            res1: ResidualBlock::new(c3, vb.pp("res1"))?,
            res2: ResidualBlock::new(c3, vb.pp("res2"))?,
        })
    }

    pub fn forward(&self, x: &Tensor) -> Result<ContentFeatures> {
        let e1 = self.stem.forward(x)?.relu()?;
        let e2 = self.down1.forward(&e1)?.relu()?;
        let e3 = self.down2.forward(&e2)?.relu()?;
        let e3 = self.res2.forward(&self.res1.forward(&e3)?)?;
        Ok(ContentFeatures { e1, e2, e3 })
    }
}

/// Two residual blocks, then two up-sampling levels that add the DIN output of their scale.
#[derive(Debug, Clone)]
pub struct Decoder {
    res1: ResidualBlock,
    res2: ResidualBlock,
    up1: UpBlock,
    up2: UpBlock,
    head: ReflectConv,
}

impl Decoder {
    pub fn new(widths: [usize; 3], vb: VarBuilder) -> Result<Self> {
        let [c1, c2, c3] = widths;
        Ok(Self {
            res1: ResidualBlock::new(c3, vb.pp("res1"))?,
            res2: ResidualBlock::new(c3, vb.pp("res2"))?,
            up1: UpBlock::new(c3, c2, vb.pp("up1"))?,
            up2: UpBlock::new(c2, c1, vb.pp("up2"))?,
            head: ReflectConv::new(c1, 3, 3, vb.pp("head"))?,
        })
    }

    /// The decoder of one style: every conv but the head with its output channels scaled and
    /// shifted by `m` (`model.Decoder.modulated_convs`, in that order).
    pub fn modulated(&self, m: &Modulation) -> Result<Self> {
        let mut cursor = ModulationCursor::new(&m.scale, &m.shift)?;
        let decoder = Self {
            res1: self.res1.modulated(&mut cursor)?,
            res2: self.res2.modulated(&mut cursor)?,
            up1: self.up1.modulated(&mut cursor)?,
            up2: self.up2.modulated(&mut cursor)?,
            head: self.head.clone(),
        };
        cursor.finish()?;
        Ok(decoder)
    }

    /// `s1`, `s2`, `s3`: DIN outputs at scales 1, 1/2, 1/4.
    pub fn forward(&self, s1: &Tensor, s2: &Tensor, s3: &Tensor) -> Result<Tensor> {
        let x = self.res2.forward(&self.res1.forward(s3)?)?;
        let x = (self.up1.forward(&x)? + s2)?;
        let x = (self.up2.forward(&x.relu()?)? + s1)?;
        self.head.forward(&x.relu()?)
    }
}
