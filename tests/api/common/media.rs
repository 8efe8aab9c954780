//! Test media: small valid WAV files.

/// A small valid WAV file (8 kHz mono 16-bit PCM), its samples varying with `seed`.
pub fn wav(seed: usize) -> Vec<u8> {
    wav_of_len(seed, 800)
}

/// A WAV file of `samples` 16-bit samples (`44 + 2 * samples` bytes).
pub fn wav_of_len(seed: usize, samples: usize) -> Vec<u8> {
    let data_len = (samples * 2) as u32;
    let mut b = Vec::with_capacity(44 + samples * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&8000u32.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        b.extend_from_slice(&((i * 31 + seed * 7919) as u16).to_le_bytes());
    }
    b
}
