//! Installs of wheels built in the test, into a venv-like directory tree.

use super::*;
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;

struct TestEnv {
    dir: TempDir,
    paths: EnvironmentPaths,
}

impl TestEnv {
    fn new() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let paths = EnvironmentPaths::for_venv(&dir.path().join("venv"), "python3.11");
        fs::create_dir_all(&paths.purelib).unwrap();
        fs::create_dir_all(&paths.scripts).unwrap();
        TestEnv { dir, paths }
    }

    fn site(&self) -> &Path {
        &self.paths.purelib
    }

    fn install(&self, wheel: &Path) -> Result<InstallReport> {
        let project = self.dir.path().join("project");
        fs::create_dir_all(&project).unwrap();
        install_wheel(&InstallRequest {
            wheel,
            paths: &self.paths,
            editable_project_dir: Some(&project),
            installer: "maturin",
            extra_root_files: &[],
            extra_data_files: &[],
        })
    }

    /// Builds `{name}-{version}` with the given payload plus METADATA, WHEEL and RECORD.
    fn wheel(&self, name: &str, version: &str, files: &[(&str, &[u8], u32)]) -> PathBuf {
        let stem = format!("{name}-{version}");
        let path = self.dir.path().join(format!("{stem}-py3-none-any.whl"));
        let mut all: Vec<(String, Vec<u8>, u32)> = files
            .iter()
            .map(|(name, content, mode)| (name.to_string(), content.to_vec(), *mode))
            .collect();
        all.push((
            format!("{stem}.dist-info/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
            0o644,
        ));
        all.push((
            format!("{stem}.dist-info/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-any\n"
                .to_vec(),
            0o644,
        ));
        let mut rows: Vec<RecordRow> = all
            .iter()
            .map(|(name, content, _)| RecordRow {
                path: name.clone(),
                hash: record_file::hash(content),
                size: content.len().to_string(),
            })
            .collect();
        rows.push(RecordRow {
            path: format!("{stem}.dist-info/RECORD"),
            hash: String::new(),
            size: String::new(),
        });
        all.push((
            format!("{stem}.dist-info/RECORD"),
            record_file::render(&rows).into_bytes(),
            0o644,
        ));
        let mut zip = zip::ZipWriter::new(fs::File::create(&path).unwrap());
        for (name, content, mode) in all {
            zip.start_file(name, SimpleFileOptions::default().unix_permissions(mode))
                .unwrap();
            zip.write_all(&content).unwrap();
        }
        zip.finish().unwrap();
        path
    }
}

const ENTRY_POINTS: &[u8] = b"[console_scripts]\nfoo-cli = foo.cli:main\n";

fn foo_files(init: &'static [u8]) -> Vec<(&'static str, &'static [u8], u32)> {
    vec![
        ("foo/__init__.py", init, 0o644),
        ("foo/_native.so", b"\x7fELF native", 0o755),
        (
            "foo-1.0.data/scripts/tool",
            b"#!python\nprint('tool')\n",
            0o644,
        ),
        ("foo-1.0.data/data/share/foo/data.txt", b"data", 0o644),
        ("foo-1.0.data/headers/foo.h", b"int foo;", 0o644),
        ("foo-1.0.dist-info/entry_points.txt", ENTRY_POINTS, 0o644),
    ]
}

/// Checks every RECORD row against the file on disk and returns the listed paths.
fn verify_record(site: &Path, dist_info: &str) -> Vec<PathBuf> {
    let text = fs::read_to_string(site.join(dist_info).join("RECORD")).unwrap();
    let mut listed = Vec::new();
    for row in record_file::parse(&text).unwrap() {
        let path = layout::lexical_normalize(&site.join(&row.path));
        if row.path == format!("{dist_info}/RECORD") {
            assert_eq!((row.hash.as_str(), row.size.as_str()), ("", ""));
        } else {
            let content = fs::read(&path).unwrap_or_else(|_| panic!("{} missing", row.path));
            assert_eq!(row.hash, record_file::hash(&content), "{}", row.path);
            assert_eq!(row.size, content.len().to_string(), "{}", row.path);
        }
        listed.push(path);
    }
    listed
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn fresh_install_layout_and_record() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &foo_files(b"x = 1\n"));
    let report = env.install(&wheel).unwrap();
    let site = env.site();
    let venv = &env.paths.data;

    assert!(report.metadata_changed);
    assert!(report.unchanged.is_empty() && report.removed.is_empty());
    assert_eq!(report.dist_info_dir, site.join("foo-1.0.dist-info"));
    assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"x = 1\n");
    assert_eq!(fs::read(venv.join("share/foo/data.txt")).unwrap(), b"data");
    assert_eq!(
        fs::read(venv.join("include/site/python3.11/foo/foo.h")).unwrap(),
        b"int foo;"
    );
    let dist_info = site.join("foo-1.0.dist-info");
    assert_eq!(fs::read(dist_info.join("INSTALLER")).unwrap(), b"maturin\n");
    assert_eq!(fs::read(dist_info.join("REQUESTED")).unwrap(), b"");
    let project = fs::canonicalize(env.dir.path().join("project")).unwrap();
    assert_eq!(
        fs::read_to_string(dist_info.join("direct_url.json")).unwrap(),
        format!(
            "{{\"dir_info\": {{\"editable\": true}}, \"url\": \"{}\"}}",
            url::Url::from_file_path(&project).unwrap()
        )
    );

    // `#!python` points at the environment's interpreter.
    let python = env.paths.python.display().to_string();
    assert_eq!(
        fs::read_to_string(venv.join("bin/tool")).unwrap(),
        format!("#!{python}\nprint('tool')\n")
    );
    // The console script launcher.
    assert_eq!(
        fs::read_to_string(venv.join("bin/foo-cli")).unwrap(),
        format!(
            "#!{python}\n# -*- coding: utf-8 -*-\nimport sys\nfrom foo.cli import main\n\
             if __name__ == \"__main__\":\n    sys.exit(main())\n"
        )
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&venv.join("bin/foo-cli")), 0o755);
        assert_eq!(mode(&venv.join("bin/tool")), 0o755);
        assert_ne!(mode(&site.join("foo/_native.so")) & 0o100, 0);
        assert_eq!(mode(&site.join("foo/__init__.py")) & 0o111, 0);
    }

    // RECORD lists exactly what was written, with the right hashes, scripts via `../../../bin`.
    let mut listed = verify_record(site, "foo-1.0.dist-info");
    let record = fs::read_to_string(dist_info.join("RECORD")).unwrap();
    assert!(record.contains("../../../bin/foo-cli,sha256="));
    assert!(record.contains("foo-1.0.dist-info/RECORD,,\n"));
    assert!(!record.contains("foo-1.0.data"));
    let mut written = report.written.clone();
    listed.sort();
    written.sort();
    assert_eq!(listed, written);
    // No temporary files left behind.
    let mut all = Vec::new();
    collect_files(&env.paths.data, &mut all);
    assert!(all
        .iter()
        .all(|path| !path.to_string_lossy().ends_with(".tmp")));
}

#[test]
fn reinstall_of_identical_wheel_writes_nothing() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &foo_files(b"x = 1\n"));
    env.install(&wheel).unwrap();
    let native = env.site().join("foo/_native.so");
    let before = fs::metadata(&native).unwrap();

    let report = env.install(&wheel).unwrap();
    assert!(report.written.is_empty(), "{:?}", report.written);
    assert!(report.removed.is_empty(), "{:?}", report.removed);
    assert!(!report.metadata_changed);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let after = fs::metadata(&native).unwrap();
    assert_eq!(before.modified().unwrap(), after.modified().unwrap());
    #[cfg(unix)]
    assert_eq!(before.ino(), after.ino());
}

#[test]
fn reinstall_with_one_changed_file_writes_only_it() {
    let env = TestEnv::new();
    env.install(&env.wheel("foo", "1.0", &foo_files(b"x = 1\n")))
        .unwrap();
    #[cfg(unix)]
    let native_inode = fs::metadata(env.site().join("foo/_native.so"))
        .unwrap()
        .ino();

    let report = env
        .install(&env.wheel("foo", "1.0", &foo_files(b"x = 2\n")))
        .unwrap();
    let site = env.site();
    // The file, and RECORD (which holds its hash).
    assert_eq!(
        report.written,
        [
            site.join("foo/__init__.py"),
            site.join("foo-1.0.dist-info/RECORD")
        ]
    );
    assert!(report.removed.is_empty());
    assert!(!report.metadata_changed);
    assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"x = 2\n");
    verify_record(site, "foo-1.0.dist-info");
    #[cfg(unix)]
    assert_eq!(
        fs::metadata(site.join("foo/_native.so")).unwrap().ino(),
        native_inode
    );
}

#[test]
fn upgrade_removes_the_old_version() {
    let env = TestEnv::new();
    let old = env.wheel(
        "foo",
        "0.9",
        &[
            ("foo/__init__.py", b"old", 0o644),
            ("foo/old.py", b"gone soon", 0o644),
            ("foo/sub/only_old.py", b"gone soon", 0o644),
            (
                "foo-0.9.dist-info/entry_points.txt",
                b"[console_scripts]\nold-cli = foo:main\n",
                0o644,
            ),
        ],
    );
    env.install(&old).unwrap();
    let site = env.site();
    let bin = &env.paths.scripts;
    assert!(bin.join("old-cli").exists());
    // Python cached bytecode for the old module.
    fs::create_dir_all(site.join("foo/__pycache__")).unwrap();
    fs::write(site.join("foo/__pycache__/old.cpython-311.pyc"), b"pyc").unwrap();

    let report = env
        .install(&env.wheel("foo", "1.0", &foo_files(b"new")))
        .unwrap();
    assert!(report.metadata_changed);
    assert!(!site.join("foo-0.9.dist-info").exists());
    assert!(!site.join("foo/old.py").exists());
    assert!(
        !site.join("foo/__pycache__").exists(),
        "empty cache dir pruned"
    );
    assert!(!site.join("foo/sub").exists(), "empty package dir pruned");
    assert!(!bin.join("old-cli").exists());
    assert!(bin.is_dir() && site.is_dir());
    assert!(bin.join("foo-cli").exists());
    assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"new");
    assert!(report.removed.contains(&bin.join("old-cli")));
    assert!(report.removed.contains(&site.join("foo-0.9.dist-info")));
    verify_record(site, "foo-1.0.dist-info");
}

#[test]
fn install_over_a_pip_install_removes_what_only_it_listed() {
    let env = TestEnv::new();
    let site = env.site();
    let bin = &env.paths.scripts;
    // What pip leaves: another spelling of the name, bytecode and a script in RECORD.
    let old_dist_info = site.join("Foo-0.8.dist-info");
    fs::create_dir_all(&old_dist_info).unwrap();
    fs::create_dir_all(site.join("foo/__pycache__")).unwrap();
    for (path, content) in [
        ("foo/__init__.py", "old"),
        ("foo/legacy.py", "old"),
        ("foo/__pycache__/legacy.cpython-311.pyc", "pyc"),
    ] {
        fs::write(site.join(path), content).unwrap();
    }
    fs::write(bin.join("legacy-tool"), "#!/bin/sh\n").unwrap();
    fs::write(
        old_dist_info.join("METADATA"),
        "Metadata-Version: 2.1\nName: Foo\nVersion: 0.8\n",
    )
    .unwrap();
    fs::write(old_dist_info.join("INSTALLER"), "pip\n").unwrap();
    fs::write(
        old_dist_info.join("RECORD"),
        "../../../bin/legacy-tool,sha256=x,10\r\nFoo-0.8.dist-info/INSTALLER,,\r\n\
         Foo-0.8.dist-info/METADATA,,\r\nFoo-0.8.dist-info/RECORD,,\r\n\
         foo/__init__.py,,\r\nfoo/legacy.py,,\r\nfoo/__pycache__/legacy.cpython-311.pyc,,\r\n\
         ../../../../outside.txt,,\r\n",
    )
    .unwrap();
    let outside = env.dir.path().join("outside.txt");
    fs::write(&outside, "not ours").unwrap();
    // An unrelated distribution whose name starts the same way.
    fs::create_dir_all(site.join("foo_bar-1.0.dist-info")).unwrap();
    fs::write(
        site.join("foo_bar-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\n",
    )
    .unwrap();

    let report = env
        .install(&env.wheel("foo", "1.0", &foo_files(b"new")))
        .unwrap();
    assert!(report.metadata_changed);
    assert!(!old_dist_info.exists());
    assert!(!bin.join("legacy-tool").exists());
    assert!(!site.join("foo/legacy.py").exists());
    assert!(!site.join("foo/__pycache__").exists());
    assert!(site.join("foo_bar-1.0.dist-info/METADATA").exists());
    assert!(outside.exists(), "files outside the environment are kept");
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"new");
    verify_record(site, "foo-1.0.dist-info");
}

#[test]
fn entry_with_parent_component_is_rejected() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &[("foo/../../evil.py", b"x", 0o644)]);
    let err = env.install(&wheel).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("foo/../../evil.py"), "{message}");
    assert!(message.contains(".."), "{message}");
    assert!(fs::read_dir(env.site()).unwrap().next().is_none());
}

#[test]
fn failure_midway_keeps_the_previous_install() {
    let env = TestEnv::new();
    let site = env.site();
    env.install(&env.wheel("foo", "0.9", &[("foo/__init__.py", b"old", 0o644)]))
        .unwrap();
    // Something in the way of one of the new files.
    fs::create_dir_all(site.join("foo/zz_blocked.py")).unwrap();
    let wheel = env.wheel(
        "foo",
        "1.0",
        &[
            ("foo/a_new.py", b"new", 0o644),
            ("foo/zz_blocked.py", b"new", 0o644),
        ],
    );
    let err = format!("{:#}", env.install(&wheel).unwrap_err());
    assert!(err.contains("zz_blocked.py"), "{err}");
    assert!(site.join("foo-0.9.dist-info/RECORD").exists());
    assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"old");
    assert!(
        !site.join("foo/a_new.py").exists(),
        "created files rolled back"
    );
    assert!(!site.join("foo-1.0.dist-info").exists());
}

#[cfg(unix)]
#[test]
fn read_only_environment_error() {
    let env = TestEnv::new();
    let site = env.site().to_path_buf();
    env.install(&env.wheel("foo", "0.9", &[("foo/__init__.py", b"old", 0o644)]))
        .unwrap();
    let wheel = env.wheel("foo", "1.0", &[("foo/__init__.py", b"new", 0o644)]);
    for dir in [site.join("foo"), site.clone()] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    }
    let probe = site.join("probe");
    let enforced = fs::write(&probe, "").is_err();
    let result = env.install(&wheel);
    for dir in [site.join("foo"), site.clone()] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    }
    if enforced {
        let message = format!("{:#}", result.unwrap_err());
        println!("read-only error: {message}");
        assert!(message.starts_with("cannot write "), "{message}");
        assert!(
            message.contains("site-packages/foo/__init__.py"),
            "{message}"
        );
        assert!(
            message.contains("is the environment read-only?"),
            "{message}"
        );
        assert_eq!(fs::read(site.join("foo/__init__.py")).unwrap(), b"old");
        assert!(site.join("foo-0.9.dist-info/RECORD").exists());
    } else {
        // Running as root: permissions do not apply; check the message on its own.
        let _ = fs::remove_file(&probe);
        let err = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let message = fsio::io_error("write", &site.join("foo.so"), &err).to_string();
        assert!(message.starts_with(&format!("cannot write {}: ", site.join("foo.so").display())));
        assert!(
            message.contains("is the environment read-only?"),
            "{message}"
        );
    }
}

#[test]
fn unlisted_dist_info_files_and_mode_changes() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &foo_files(b"x"));
    env.install(&wheel).unwrap();
    let dist_info = env.site().join("foo-1.0.dist-info");
    fs::write(dist_info.join("stray.txt"), "left by a tool").unwrap();
    #[cfg(unix)]
    fs::set_permissions(
        env.site().join("foo/_native.so"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let report = env.install(&wheel).unwrap();
    assert_eq!(report.removed, [dist_info.join("stray.txt")]);
    assert!(report.metadata_changed);
    #[cfg(unix)]
    {
        assert_eq!(report.written, [env.site().join("foo/_native.so")]);
        assert_eq!(mode(&env.site().join("foo/_native.so")), 0o755);
    }
}

#[test]
fn non_editable_install_has_no_direct_url() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &foo_files(b"x"));
    env.install(&wheel).unwrap();
    let report = install_wheel(&InstallRequest {
        wheel: &wheel,
        paths: &env.paths,
        editable_project_dir: None,
        installer: "maturin",
        extra_root_files: &[],
        extra_data_files: &[],
    })
    .unwrap();
    let direct_url = env.site().join("foo-1.0.dist-info/direct_url.json");
    assert!(!direct_url.exists());
    assert_eq!(report.removed, [direct_url]);
    assert!(report.metadata_changed);
}

#[test]
fn same_files_through_a_symlinked_directory_are_not_stale() {
    let env = TestEnv::new();
    let wheel = env.wheel("foo", "1.0", &foo_files(b"x"));
    env.install(&wheel).unwrap();
    // Some systems name platlib through `lib64 -> lib`.
    let venv = env.paths.data.clone();
    std::os::unix::fs::symlink("lib", venv.join("lib64")).unwrap();
    let mut paths = env.paths.clone();
    paths.platlib = venv.join("lib64/python3.11/site-packages");
    let report = install_wheel(&InstallRequest {
        wheel: &wheel,
        paths: &paths,
        editable_project_dir: Some(&env.dir.path().join("project")),
        installer: "maturin",
        extra_root_files: &[],
        extra_data_files: &[],
    })
    .unwrap();
    assert!(report.removed.is_empty(), "{:?}", report.removed);
    assert!(env.site().join("foo/_native.so").exists());
    assert!(env.site().join("foo-1.0.dist-info/METADATA").exists());
    assert!(venv.join("bin/foo-cli").exists());
    verify_record(env.site(), "foo-1.0.dist-info");
}
