//! The lake's store as delta-rs sees it: listings sorted by key, as the Delta kernel reads
//! a log only from a sorted listing (it sorts a local one itself only for `file://` URLs,
//! and it is handed ours under its own scheme), and every write counted like the lake's own
//! (the test-only crash points).

use std::sync::Arc;

use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
};

/// `inner`, listing in key order.
#[derive(Debug)]
pub struct DeltaStore(pub Arc<dyn ObjectStore>);

impl std::fmt::Display for DeltaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeltaStore({})", self.0)
    }
}

/// `listing` collected and sorted by key.
fn sorted(
    listing: BoxStream<'static, Result<ObjectMeta>>,
) -> BoxStream<'static, Result<ObjectMeta>> {
    let collected = async move {
        let mut all: Vec<ObjectMeta> = listing.try_collect().await?;
        all.sort_by(|a, b| a.location.cmp(&b.location));
        Ok::<_, object_store::Error>(stream::iter(all.into_iter().map(Ok)))
    };
    stream::once(collected).try_flatten().boxed()
}

#[async_trait::async_trait]
impl ObjectStore for DeltaStore {
    async fn put_opts(
        &self,
        at: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        crate::failpoint::before_put().await;
        let result = self.0.put_opts(at, payload, opts).await;
        crate::failpoint::after_put();
        result
    }

    async fn put_multipart_opts(
        &self,
        at: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        crate::failpoint::before_put().await;
        let result = self.0.put_multipart_opts(at, opts).await;
        crate::failpoint::after_put();
        result
    }

    async fn get_opts(&self, at: &Path, options: GetOptions) -> Result<GetResult> {
        self.0.get_opts(at, options).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        self.0.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        sorted(self.0.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        sorted(self.0.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.0.list_with_delimiter(prefix).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.0.copy_opts(from, to, options).await
    }
}
