"""Ground truth: manifests of trees and disks, and the judge that scores every recovery."""
