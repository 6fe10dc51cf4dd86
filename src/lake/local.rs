//! A local lake's fast paths, each giving what object_store's local store would, file for
//! file, for less work: many files read in one blocking task, and a folder listed by walking
//! its directories. object_store's listing `stat`s each file three times (for the size and
//! time of the metadata it returns, and to follow links), which made listing a snapshot of a
//! million repositories (25,000 files) take a fifth of a second on one core before any page
//! was read; a list of keys needs only the names.

use std::fs::{self, DirEntry};
use std::io::{self, ErrorKind};
use std::path::Path as FsPath;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

/// Each of `keys`' bytes, in order; `None` for each that does not exist.
pub(super) fn read_many<'a>(
    local: &LocalFileSystem,
    keys: impl IntoIterator<Item = &'a Path>,
) -> Vec<Result<Option<Bytes>, object_store::Error>> {
    let read_one = |key: &Path| {
        let path = local.path_to_filesystem(key)?;
        match fs::read(path) {
            Ok(bytes) => Ok(Some(Bytes::from(bytes))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(object_store::Error::Generic {
                store: "LocalFileSystem",
                source: Box::new(e),
            }),
        }
    };
    keys.into_iter().map(read_one).collect()
}

/// Every file under `prefix`, unsorted, named as object_store's listing names it; `None`
/// where the walk meets what that listing treats with care of its own (a symbolic link, a
/// name that is not UTF-8, a directory it cannot read, the lake's root), so that the caller
/// lists through object_store and gets exactly its answer, or its error.
pub(super) fn list(
    local: &LocalFileSystem,
    prefix: &Path,
) -> Result<Option<Vec<Path>>, object_store::Error> {
    // object_store names no file for the root itself.
    let Ok(dir) = local.path_to_filesystem(prefix) else {
        return Ok(None);
    };
    let mut relative = Vec::new();
    match walk(&dir, "", &mut relative) {
        Ok(true) => {}
        Ok(false) => return Ok(None),
        // A prefix with nothing under it (or a file's own key), as an object store lists it.
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Some(Vec::new()))
        }
        Err(_) => return Ok(None),
    }
    let prefix = prefix.as_ref();
    (relative.into_iter())
        .filter(|name| is_listed(name))
        .map(|name| match prefix.is_empty() {
            true => Path::parse(name),
            false => Path::parse(format!("{prefix}/{name}")),
        })
        .map(|key| key.map_err(object_store::Error::from))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Adds the files under `dir` to `files`, each as its path from the walk's start (`at`, with
/// `/` between names); `false` at the first entry only object_store's listing may read.
fn walk(dir: &FsPath, at: &str, files: &mut Vec<String>) -> io::Result<bool> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(|name| match at.is_empty() {
            true => name.to_string(),
            false => format!("{at}/{name}"),
        }) else {
            return Ok(false);
        };
        match kind(&entry) {
            Ok(Kind::File) => files.push(name),
            Ok(Kind::Directory) => match walk(&entry.path(), &name, files) {
                Ok(true) => {}
                // Deleted while the walk went on, as object_store's walk would skip it.
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                other => return other,
            },
            Ok(Kind::Other) => return Ok(false),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

enum Kind {
    File,
    Directory,
    /// A symbolic link, or a device, socket or pipe.
    Other,
}

/// What `entry` is, from the directory entry itself where the file system records it.
fn kind(entry: &DirEntry) -> io::Result<Kind> {
    let kind = entry.file_type()?;
    Ok(if kind.is_file() {
        Kind::File
    } else if kind.is_dir() {
        Kind::Directory
    } else {
        Kind::Other
    })
}

/// Whether object_store's listing shows the file named `path`: not one it is still writing
/// (`<name>#<digits>`).
fn is_listed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.split_once('#') {
        Some((_, suffix)) if !suffix.is_empty() => !suffix.bytes().all(|b| b.is_ascii_digit()),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use object_store::ObjectStore;

    use super::*;

    /// object_store's own listing of `prefix`, sorted.
    async fn listed_by_object_store(store: &LocalFileSystem, prefix: &Path) -> Vec<Path> {
        let listed = store.list(Some(prefix)).map_ok(|meta| meta.location);
        let mut keys: Vec<Path> = listed.try_collect().await.unwrap();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn a_walk_lists_what_object_store_lists() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        for file in [
            "bronze/s=1/org=a/page-0001.json",
            "bronze/s=1/org=a/page-0001.meta.json",
            "bronze/s=1/org=gitlab.com+x y/_manifest.json",
            "bronze/s=1/_orgs/a.json",
            "bronze/s=1/org=b/page.json#12",
            "bronze/s=1/org=b/notes#draft",
            "bronze/s=10/org=a/page-0001.json",
            "other/x.json",
        ] {
            let path = dir.path().join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, b"{}").unwrap();
        }
        fs::create_dir_all(dir.path().join("bronze/s=1/org=c/empty")).unwrap();
        for prefix in ["bronze/s=1", "bronze", "missing/folder", "other/x.json"] {
            let prefix = Path::from(prefix);
            let mut walked = list(&store, &prefix).unwrap().expect("no link to follow");
            walked.sort();
            let expected = listed_by_object_store(&store, &prefix).await;
            assert_eq!(walked, expected, "under {prefix:?}");
        }
        let walked = list(&store, &Path::from("bronze/s=1")).unwrap().unwrap();
        assert_eq!(walked.len(), 5, "the file still being written is left out");
        assert!(list(&store, &Path::from("")).unwrap().is_none(), "the root");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_left_to_object_store() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("top/a")).unwrap();
        fs::write(dir.path().join("top/a/x.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(dir.path().join("top/a"), dir.path().join("top/b")).unwrap();
        let store = LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        assert!(list(&store, &Path::from("top")).unwrap().is_none());
        assert_eq!(
            list(&store, &Path::from("top/a")).unwrap().unwrap().len(),
            1
        );
    }
}
