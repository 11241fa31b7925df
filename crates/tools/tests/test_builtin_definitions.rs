//! The built-in tool definitions held as data are what the components
//! themselves describe when loaded.

use weft_tools::InProcess;

#[tokio::test]
async fn the_vfs_data_is_what_the_vfs_component_describes() {
    let sandbox = InProcess::new(weft_sandbox::Manifest::builtin()).await.expect("loads");
    let described: Vec<_> = sandbox
        .tool_definitions()
        .into_iter()
        .filter(|tool| sandbox.component_of(&tool.name) == Some("vfs"))
        .collect();
    assert_eq!(described, weft_tools::builtin::vfs_definitions());
    assert_eq!(described.len(), 7);
}
