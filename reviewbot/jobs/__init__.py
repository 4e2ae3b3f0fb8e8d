"""The queue and the review job: run id -> GitHub -> analyze -> publish, recorded in the state database."""
