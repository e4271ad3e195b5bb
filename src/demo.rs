//! `arkiv demo`: the whole job on the bundled collective-impact site, with no network: serve it on
//! 127.0.0.1, crawl it into WARC files, build the offline mirror, and verify it all (the notice
//! included).

use std::path::{Path, PathBuf};

use crate::crawl::Config;
use crate::crawl::progress::Progress;
use crate::fixture::{FixtureServer, ServeOptions};
use crate::run::CrawlReport;

/// The fixture site the demo archives.
pub const DEMO_SITE: &str = "collective-impact";
/// The notice every page of the site carries (its first line), checked by verify.
pub const NOTICE_TEXT: &str = "Hjemmesiden her opdateres ikke længere. For nyere information, besøg realdania.dk/collective-impact";
/// Where the notice sends readers.
pub const NOTICE_LINK: &str = "https://realdania.dk/collective-impact";

/// What the demo did.
#[derive(Debug)]
pub struct DemoOutcome {
    pub crawl: CrawlReport,
    pub site_url: url::Url,
    pub verify: crate::verify::VerifyReport,
}

impl DemoOutcome {
    /// 0 only when the crawl archived everything and verify found nothing.
    pub fn exit(&self) -> crate::exit::Exit {
        match (self.crawl.exit(), self.verify.exit()) {
            (crate::exit::Exit::Ok, verify) => verify,
            (crawl, _) => crawl,
        }
    }
}

/// Runs the demo into `out`. A previous demo's folder there is replaced; any other folder with
/// content is refused (the demo never deletes an archive it did not make).
pub async fn run_demo(out: &Path, progress: Progress) -> anyhow::Result<DemoOutcome> {
    clear_previous_demo(out)?;
    let server = FixtureServer::start(DEMO_SITE, ServeOptions::default())?;
    let site_url = server.url();
    let mut config = Config::new(vec![site_url.clone()], out.to_path_buf());
    config.notice_text = Some(NOTICE_TEXT.to_string());
    config.notice_link = Some(NOTICE_LINK.to_string());
    config.description = Some("arkiv demo: the bundled collective-impact fixture site".to_string());
    let crawl = crate::run::crawl(config, progress, std::future::pending()).await?;
    server.stop();
    let mut options = crate::verify::VerifyOptions::new(out, crate::verify::Mode::Full);
    options.notice = Some(crate::verify::NoticeSpec {
        text: NOTICE_TEXT.to_string(),
        link: NOTICE_LINK.to_string(),
    });
    let verify = tokio::task::spawn_blocking(move || crate::verify::verify(&options)).await??;
    Ok(DemoOutcome {
        crawl,
        site_url,
        verify,
    })
}

/// The demo's default folder: `archive/demo` below the current directory.
pub fn default_out() -> PathBuf {
    PathBuf::from("archive").join("demo")
}

fn clear_previous_demo(out: &Path) -> anyhow::Result<()> {
    let Ok(mut entries) = fs_err::read_dir(out) else {
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let settings = crate::crawl::settings::Settings::read(&out.join("arkiv.toml")).ok();
    let was_demo = settings.is_some_and(|s| {
        s.crawl.seeds.iter().all(|seed| {
            url::Url::parse(seed)
                .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1") | Some("localhost")))
        })
    });
    if !was_demo {
        anyhow::bail!(
            "{} is not empty and holds no earlier demo; pass another --out (nothing was changed)",
            out.display()
        );
    }
    fs_err::remove_dir_all(out)?;
    Ok(())
}
