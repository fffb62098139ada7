//! A table of small legacy-format recordings, made with ffmpeg's lavfi sources, for testing that
//! ingest copes with what council archives actually hold: Flash video, Windows Media, RealMedia,
//! MPEG program and transport streams, DV, AVI, 3GP, QuickTime, Matroska, audio-only files and
//! the awkward cases (interlaced PAL, anamorphic 16:9, variable frame rate, audio starting late,
//! keyframes ten seconds apart, moov atom at the end, file names with spaces and accents).
//!
//! Every command in [`LEGACY_FORMATS`] was run with Debian's ffmpeg 5.1 (5.1.9-0+deb12u1) and
//! its output checked with ffprobe: container, codecs, size, SAR/DAR, field order, audio
//! presence and duration. `Expect::display_aspect` is width × SAR / height as ffprobe reports it,
//! and `Expect::interlaced` is true only where ffprobe's stream `field_order` is tt/bb/tb/bt.
//!
//! Decode-only (this ffmpeg can read them but has no encoder, so they are not in the table; see
//! docs/FORMATS.md):
//! - decode-only: AMR-NB / AMR-WB audio (3GP from phones): no AMR encoder (ffmpeg is built
//!   without libopencore-amrnb / libvo-amrwbenc).
//! - decode-only: RealVideo 3/4 (rv30, rv40) and RealAudio cook / sipr / ATRAC3: no encoders.
//! - decode-only: WMV9 (wmv3), VC-1 and WMA Pro / Voice / Lossless: no encoders.
//! - decode-only: Sorenson Video 3 (svq3) and QDesign Music 2 (qdm2) in QuickTime: no encoders.
//! - decode-only: On2 VP6 (vp6f) in FLV: no encoder.
//! - decode-only: Intel Indeo 4/5 and MS-MPEG4 v1 in AVI, TrueSpeech in WAV: no encoders.
//! - decode-only: HE-AAC (AAC+) in MP4/3GP/TS: the native aac encoder makes only AAC-LC and
//!   libfdk-aac is not built in.
//!
//! Notes from generating them:
//! - DV is interlaced bottom-field-first by definition and the decoder marks every frame
//!   interlaced with bottom field first, but ffprobe 5.1 reports the *stream* `field_order` as
//!   `unknown`, so its entry says `interlaced: false`. Code that decides whether to deinterlace
//!   from the stream's field_order alone will not deinterlace DV.
//! - `-f dvd` (used for the .VOB) adds a `dvd_nav_packet` data stream, as real DVD VOBs have;
//!   the plain MPEG-2 program stream (.mpg) uses `-f vob`, which does not. `-f mpeg` would write
//!   MPEG-1 system headers, so it is used only for the MPEG-1 file.
//! - Transport streams start at about 1.4 s (the mpegts muxer's default delay), program streams
//!   at about 0.5 s; MP4 / MOV / MKV / AVI start at 0.
//! - `.m2ts` / `.mts` need `-mpegts_m2ts_mode 1` to get 192-byte packets: ffmpeg turns it on by
//!   itself only for the `.m2ts` extension, and it is passed explicitly for both here.
//! - The DVD sample is named `VTS_01_1.VOB` on purpose: real DVD rips have upper-case extensions.
//! - Variable frame rate is visible at stream level only in the MP4 (r_frame_rate 25/1,
//!   avg_frame_rate 775/69); the Matroska copy reports 25/1 for both, see the entries.
//! - The late audio starts at 1.476 s, not 1.5 s: the 1024-sample AAC priming is taken off.
//! - Harmless warnings (hidden by `-v error`): libx264 "interlace + weightp is not
//!   implemented" for the interlaced H.264, and swscaler "deprecated pixel format used" for
//!   MJPEG, which needs the full-range `yuvj420p`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One legacy recording: how to make it and what a prober should find in it.
pub struct LegacyFormat {
    /// Short id, e.g. "flv-spark-mp3".
    pub name: &'static str,
    /// Output file name, with the extension such files really have.
    pub file_name: &'static str,
    /// The complete ffmpeg argument list (inputs, codecs, `-f` muxer) except the leading
    /// `-hide_banner -v error -y` and the trailing output path, which [`generate`] adds.
    pub args: &'static [&'static str],
    /// What the video stream should look like; `None` for audio-only recordings.
    pub video: Option<Expect>,
    /// Whether the recording has an audio stream.
    pub audio: bool,
}

/// What the video stream of a generated recording really is.
pub struct Expect {
    /// Display aspect ratio: width × SAR / height, e.g. 4.0 / 3.0.
    pub display_aspect: f64,
    /// True only where ffprobe reports a stream field_order of tt, bb, tb or bt.
    pub interlaced: bool,
}

/// The legacy recordings, each command checked with ffprobe on this ffmpeg (see the module doc).
#[rustfmt::skip]
pub const LEGACY_FORMATS: &[LegacyFormat] = &[
    // ---- Flash video ----------------------------------------------------------------------
    LegacyFormat {
        name: "flv-spark-mp3",
        file_name: "flv-spark-mp3.flv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-t", "3",
            "-c:v", "flv", "-q:v", "5",
            "-c:a", "libmp3lame", "-ar", "22050", "-ac", "1", "-b:a", "48k",
            "-f", "flv",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "flv-h264-aac",
        file_name: "Seduta del 3 dicembre 2010 – diretta streaming.flv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ac", "1", "-b:a", "64k",
            "-f", "flv",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- Windows Media (ASF) --------------------------------------------------------------
    LegacyFormat {
        name: "asf-wmv1-wmav1",
        file_name: "asf-wmv1-wmav1.asf",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-t", "3",
            "-c:v", "wmv1", "-b:v", "300k",
            "-c:a", "wmav1", "-ar", "22050", "-ac", "1", "-b:a", "32k",
            "-f", "asf",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "asf-wmv2-wmav2",
        file_name: "Consiglio comunale – seduta dell'11 marzo 2009.wmv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "wmv2", "-b:v", "300k",
            "-c:a", "wmav2", "-ar", "44100", "-ac", "2", "-b:a", "64k",
            "-f", "asf",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- RealMedia ------------------------------------------------------------------------
    LegacyFormat {
        name: "rm-rv10-ac3",
        file_name: "rm-rv10-ac3.rm",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "rv10", "-b:v", "300k",
            "-c:a", "ac3", "-ar", "44100", "-ac", "1", "-b:a", "64k",
            "-f", "rm",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "rm-rv20-ac3",
        file_name: "Assemblea dei sindaci - 2001.rm",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "rv20", "-b:v", "300k",
            "-c:a", "ac3", "-ar", "44100", "-ac", "2", "-b:a", "96k",
            "-f", "rm",
        ],
        video: Some(Expect { display_aspect: 352.0 / 288.0, interlaced: false }),
        audio: true,
    },
    // ---- MPEG program streams -------------------------------------------------------------
    LegacyFormat {
        name: "mpeg1-mp2",
        file_name: "mpeg1-mp2.mpg",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "mpeg1video", "-b:v", "1150k", "-maxrate", "1150k", "-bufsize", "327k",
            "-c:a", "mp2", "-ar", "44100", "-ac", "2", "-b:a", "224k",
            "-f", "mpeg",
        ],
        video: Some(Expect { display_aspect: 352.0 / 288.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "mpeg2-ps-mp2-pal-interlaced",
        file_name: "Commissione Urbanistica n° 3 (à è ì).mpg",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-vf", "setsar=16/15", "-aspect", "4:3", "-pix_fmt", "yuv420p",
            "-c:v", "mpeg2video", "-b:v", "4000k", "-maxrate", "9000k", "-bufsize", "1835k",
            "-flags", "+ilme+ildct", "-top", "1",
            "-c:a", "mp2", "-ar", "48000", "-ac", "2", "-b:a", "192k",
            "-f", "vob",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: true }),
        audio: true,
    },
    LegacyFormat {
        name: "vob-mpeg2-ac3-169-interlaced",
        file_name: "VTS_01_1.VOB",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-vf", "setsar=64/45", "-aspect", "16:9", "-pix_fmt", "yuv420p",
            "-c:v", "mpeg2video", "-b:v", "4000k", "-maxrate", "9000k", "-bufsize", "1835k",
            "-flags", "+ilme+ildct", "-top", "1",
            "-c:a", "ac3", "-ar", "48000", "-ac", "2", "-b:a", "192k",
            "-f", "dvd",
        ],
        video: Some(Expect { display_aspect: 16.0 / 9.0, interlaced: true }),
        audio: true,
    },
    // ---- MPEG transport streams -----------------------------------------------------------
    LegacyFormat {
        name: "ts-mpeg2-mp2-pal-interlaced",
        file_name: "ts-mpeg2-mp2-dvb.ts",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-vf", "setsar=16/15", "-aspect", "4:3", "-pix_fmt", "yuv420p",
            "-c:v", "mpeg2video", "-b:v", "4000k", "-maxrate", "9000k", "-bufsize", "1835k",
            "-flags", "+ilme+ildct", "-top", "1",
            "-c:a", "mp2", "-ar", "48000", "-ac", "2", "-b:a", "192k",
            "-f", "mpegts",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: true }),
        audio: true,
    },
    LegacyFormat {
        name: "m2ts-h264-ac3-169-interlaced",
        file_name: "m2ts-h264-ac3.m2ts",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-vf", "setsar=64/45", "-aspect", "16:9", "-pix_fmt", "yuv420p",
            "-c:v", "libx264", "-preset", "veryfast", "-flags", "+ilme+ildct", "-top", "1",
            "-c:a", "ac3", "-ar", "48000", "-ac", "2", "-b:a", "192k",
            "-f", "mpegts", "-mpegts_m2ts_mode", "1",
        ],
        video: Some(Expect { display_aspect: 16.0 / 9.0, interlaced: true }),
        audio: true,
    },
    LegacyFormat {
        name: "mts-h264-ac3",
        file_name: "mts-h264-ac3.mts",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "ac3", "-ar", "48000", "-ac", "2", "-b:a", "192k",
            "-f", "mpegts", "-mpegts_m2ts_mode", "1",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- DV -------------------------------------------------------------------------------
    LegacyFormat {
        // Interlaced bottom-field-first by definition, but ffprobe's stream field_order is
        // "unknown" (see the module doc), hence interlaced: false.
        name: "dv-pal-pcm",
        file_name: "dv-pal-pcm.dv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "3",
            "-vf", "setsar=16/15", "-pix_fmt", "yuv420p",
            "-c:v", "dvvideo",
            "-c:a", "pcm_s16le", "-ar", "48000", "-ac", "2",
            "-f", "dv",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- AVI ------------------------------------------------------------------------------
    LegacyFormat {
        name: "avi-xvid-mp3",
        file_name: "Consiglio 2005 - parte 1 (Xvid).avi",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "libxvid", "-b:v", "400k", "-vtag", "XVID",
            "-c:a", "libmp3lame", "-ar", "44100", "-ac", "2", "-b:a", "128k",
            "-f", "avi",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "avi-divx3-mp3",
        file_name: "avi-divx3-mp3.avi",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "msmpeg4", "-b:v", "400k", "-vtag", "DIV3",
            "-c:a", "libmp3lame", "-ar", "44100", "-ac", "2", "-b:a", "128k",
            "-f", "avi",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "avi-mjpeg-pcm",
        file_name: "MVI_0042 – Sala consiliare.avi",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
            "-t", "3",
            "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "5",
            "-c:a", "pcm_s16le", "-ar", "16000", "-ac", "1",
            "-f", "avi",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "avi-mpeg4-video-only",
        file_name: "avi-mpeg4-no-audio.avi",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-t", "3",
            "-c:v", "mpeg4", "-b:v", "400k", "-vtag", "DX50",
            "-f", "avi",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: false,
    },
    // ---- 3GPP -----------------------------------------------------------------------------
    LegacyFormat {
        name: "3gp-h263-aac",
        file_name: "3gp-h263-aac.3gp",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
            "-t", "3",
            "-c:v", "h263", "-b:v", "128k",
            "-c:a", "aac", "-ar", "16000", "-ac", "1", "-b:a", "24k",
            "-f", "3gp",
        ],
        video: Some(Expect { display_aspect: 176.0 / 144.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "3g2-mpeg4-aac",
        file_name: "3g2-mpeg4-aac.3g2",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=176x144:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
            "-t", "3",
            "-c:v", "mpeg4", "-b:v", "128k",
            "-c:a", "aac", "-ar", "16000", "-ac", "1", "-b:a", "24k",
            "-f", "3g2",
        ],
        video: Some(Expect { display_aspect: 176.0 / 144.0, interlaced: false }),
        audio: true,
    },
    // ---- QuickTime / MP4 ------------------------------------------------------------------
    LegacyFormat {
        name: "mov-svq1-ima",
        file_name: "mov-svq1-ima.mov",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-t", "3",
            "-c:v", "svq1",
            "-c:a", "adpcm_ima_qt", "-ar", "22050", "-ac", "1",
            "-f", "mov",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "mov-h264-aac-moov-at-end",
        file_name: "Intervento dell'assessore Müller – bilancio.mov",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ac", "2", "-b:a", "96k",
            "-f", "mov",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "mp4-h264-aac-moov-at-end",
        file_name: "mp4-h264-aac-moov-at-end.mp4",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ac", "2", "-b:a", "96k",
            "-f", "mp4",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- Matroska / WebM ------------------------------------------------------------------
    LegacyFormat {
        name: "mkv-mpeg4-mp3",
        file_name: "mkv-mpeg4-mp3.mkv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "mpeg4", "-b:v", "400k",
            "-c:a", "libmp3lame", "-ar", "44100", "-ac", "2", "-b:a", "128k",
            "-f", "matroska",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        name: "webm-vp8-vorbis",
        file_name: "webm-vp8-vorbis.webm",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:v", "libvpx", "-b:v", "400k", "-deadline", "realtime", "-cpu-used", "8",
            "-pix_fmt", "yuv420p",
            "-c:a", "libvorbis", "-ar", "44100", "-ac", "2", "-q:a", "3",
            "-f", "webm",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- Timing oddities ------------------------------------------------------------------
    LegacyFormat {
        // Variable frame rate: the first 10 frames at 25 fps, then every third frame (31
        // frames in 3 s), so timestamps step by 40 ms and then by 120 ms. In MP4 ffprobe
        // shows it at stream level: r_frame_rate 25/1, avg_frame_rate 775/69 (about 11.2).
        name: "mp4-h264-vfr",
        file_name: "mp4-h264-vfr.mp4",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-vf", "select='not(mod(n\\,3))+lt(n\\,10)'", "-fps_mode", "vfr",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ac", "1", "-b:a", "64k",
            "-f", "mp4",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        // The same frames in Matroska, where the variable rate is hidden: ffprobe reports
        // r_frame_rate = avg_frame_rate = 25/1 (and 40 ms packet durations); only the gaps
        // between timestamps (40 ms, then 120 ms) show it.
        name: "mkv-h264-vfr",
        file_name: "mkv-h264-vfr.mkv",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-vf", "select='not(mod(n\\,3))+lt(n\\,10)'", "-fps_mode", "vfr",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "libvorbis", "-ar", "44100", "-ac", "1", "-q:a", "3",
            "-f", "matroska",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        // Video from 0 to 4.5 s, audio from 1.5 s to 4.5 s (an empty edit in the MP4 edit list).
        name: "mp4-audio-starts-late",
        file_name: "mp4-audio-starts-late.mp4",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-itsoffset", "1.5", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "4.5",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-ac", "1", "-b:a", "64k",
            "-f", "mp4",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    LegacyFormat {
        // 12 s at 25 fps with a GOP of 250: keyframes only at 0 s and 10 s.
        name: "mp4-h264-keyframes-10s-apart",
        file_name: "mp4-h264-keyframes-10s-apart.mp4",
        args: &[
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "12",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-g", "250", "-keyint_min", "250", "-sc_threshold", "0",
            "-c:a", "aac", "-ac", "1", "-b:a", "64k",
            "-f", "mp4",
        ],
        video: Some(Expect { display_aspect: 4.0 / 3.0, interlaced: false }),
        audio: true,
    },
    // ---- Audio only -----------------------------------------------------------------------
    LegacyFormat {
        name: "audio-mp3",
        file_name: "audio-mp3.mp3",
        args: &[
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:a", "libmp3lame", "-ar", "44100", "-ac", "1", "-b:a", "64k",
            "-f", "mp3",
        ],
        video: None,
        audio: true,
    },
    LegacyFormat {
        name: "audio-wma",
        file_name: "Registrazione audio – Consiglio dell’8 aprile.wma",
        args: &[
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:a", "wmav2", "-ar", "44100", "-ac", "2", "-b:a", "64k",
            "-f", "asf",
        ],
        video: None,
        audio: true,
    },
    LegacyFormat {
        name: "audio-wav",
        file_name: "audio-pcm.wav",
        args: &[
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050",
            "-t", "3",
            "-c:a", "pcm_s16le", "-ar", "22050", "-ac", "1",
            "-f", "wav",
        ],
        video: None,
        audio: true,
    },
    LegacyFormat {
        name: "audio-m4a",
        file_name: "audio-aac.m4a",
        args: &[
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:a", "aac", "-ar", "44100", "-ac", "1", "-b:a", "64k",
            "-f", "ipod",
        ],
        video: None,
        audio: true,
    },
    LegacyFormat {
        name: "audio-ogg",
        file_name: "Seduta n° 12 – è già iniziata.ogg",
        args: &[
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", "3",
            "-c:a", "libvorbis", "-ar", "44100", "-ac", "1", "-q:a", "3",
            "-f", "ogg",
        ],
        video: None,
        audio: true,
    },
];

/// Generates `f` into `dir` (which must exist) and returns the path of the file made.
/// Panics with ffmpeg's message if ffmpeg fails.
pub fn generate(dir: &Path, f: &LegacyFormat) -> PathBuf {
    let path = dir.join(f.file_name);
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(f.args)
        .arg(&path)
        .output()
        .expect("ffmpeg must be installed (the README's test command installs it)");
    assert!(
        out.status.success(),
        "ffmpeg failed to generate {} ({}): {}",
        f.name,
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    path
}
